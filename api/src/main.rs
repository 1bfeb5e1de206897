//! `sos`: the SOS Khu Phố service and its operator commands.

use anyhow::Context;
use clap::{Parser, Subcommand};
use sos_api::{app, config::Settings, db, seed};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "sos",
    version,
    about = "SOS Khu Phố: neighborhood reports for Vietnamese wards"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (migrations run first).
    Serve {
        /// Load the demo wards and accounts if they are missing (password `sos-demo`).
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// The report classifier: measure it on labelled reports.
    Classify {
        #[command(subcommand)]
        command: ClassifyCommand,
    },
    /// Load data into the database.
    Seed {
        /// The demo wards of Ho Chi Minh City with their departments and accounts.
        #[arg(long)]
        demo: bool,
    },
}

#[derive(Subcommand)]
enum ClassifyCommand {
    /// Evaluate on a JSON Lines file of `{"text", "category", "subcategory", "urgent"}`.
    Eval {
        #[arg(long)]
        file: std::path::PathBuf,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Prints an evaluation for people: the headline figures, each subcategory, the confusions.
fn print_evaluation(result: &sos_domain::evaluate::Evaluation) {
    println!("reports                {}", result.n);
    println!("category accuracy      {:.3}", result.category_accuracy);
    println!("subcategory accuracy   {:.3}", result.subcategory_accuracy);
    println!("subcategory macro-F1   {:.3}", result.subcategory_macro_f1);
    println!("urgent precision       {:.3}", result.urgent_precision);
    println!("urgent recall          {:.3}", result.urgent_recall);
    println!(
        "\n{:<22} {:>7} {:>9} {:>7} {:>6}",
        "subcategory", "support", "precision", "recall", "F1"
    );
    for s in &result.per_subcategory {
        println!(
            "{:<22} {:>7} {:>9.3} {:>7.3} {:>6.3}",
            s.subcategory.as_str(),
            s.support,
            s.precision,
            s.recall,
            s.f1
        );
    }
    println!("\nmost frequent confusions (expected -> predicted)");
    for c in &result.confusions {
        println!("{:>4}  {} -> {}", c.count, c.expected, c.predicted);
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Offline tools need neither the database nor the service's settings.
    if let Command::Classify {
        command: ClassifyCommand::Eval { file, json },
    } = &cli.command
    {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let corpus = sos_domain::evaluate::parse_corpus(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        let result =
            sos_domain::evaluate::evaluate(&sos_domain::classify::KeywordClassifier, &corpus);
        if *json {
            println!("{}", serde_json::to_string(&result)?);
        } else {
            print_evaluation(&result);
        }
        return Ok(());
    }
    let mut settings = Settings::from_env().context("invalid configuration")?;
    init_tracing(settings.log_json);
    settings.resolve_secret().context("invalid configuration")?;
    tracing::info!(?settings, "starting");
    match cli.command {
        Command::Serve { demo } => {
            let listen = settings.listen;
            let state = app::state(settings)
                .await
                .context("cannot open the database")?;
            seed::seed_reference(&state.db).await?;
            if demo {
                seed::seed_demo(&state.db).await?;
            }
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen} (SOS_LISTEN)"))?;
            tracing::info!("listening on http://{}", listener.local_addr()?);
            app::serve(listener, state, app::shutdown_signal()).await
        }
        Command::Migrate => {
            let conn = db::connect(&settings).await?;
            db::migrate(&conn).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Classify { .. } => unreachable!("handled before the settings are read"),
        Command::Seed { demo } => {
            let conn = db::connect(&settings).await?;
            db::migrate(&conn).await?;
            if demo {
                seed::seed_demo(&conn).await
            } else {
                seed::seed_reference(&conn).await
            }
        }
    }
}

fn init_tracing(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
