//! `sos`: the SOS Khu Phố service and its operator commands.

use anyhow::Context;
use clap::{Parser, Subcommand};
use sos_api::clock::Clock;
use sos_api::config::Settings;
use sos_api::services::administration::{self, NewAccount};
use sos_api::services::audit::Author;
use sos_api::services::geography::{self, Import, Importer};
use sos_api::services::{Services, classifier, seed, synthetic};
use sos_domain::classify::Model;
use sos_domain::evaluate::{Evaluation, Labelled, evaluate, parse_corpus};
use sos_store::{DatabaseConnection, Writer, db};
use std::path::{Path, PathBuf};
use tracing_subscriber::EnvFilter;

/// mimalloc rather than glibc's allocator: under sustained intake glibc spent about a sixth of
/// the service's CPU in malloc and free (arena locks, consolidation).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// The report classifier: train it, measure it on labelled reports.
    Classify {
        #[command(subcommand)]
        command: ClassifyCommand,
    },
    /// Boundaries of wards and neighborhoods.
    Geo {
        #[command(subcommand)]
        command: GeoCommand,
    },
    /// Operator's tasks: the first administrator of a new installation.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Load data into the database.
    Seed {
        /// The demo wards of Ho Chi Minh City with their departments and accounts.
        #[arg(long)]
        demo: bool,
        /// Add N synthetic reports over the past year across every ward of Ho Chi Minh City
        /// (for benchmarks and demonstrations; implies --demo).
        #[arg(long, value_name = "N")]
        synthetic: Option<usize>,
        /// Seed of the synthetic generator: the same seed gives the same reports.
        #[arg(long, default_value_t = 2025)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum ClassifyCommand {
    /// Evaluate on a JSON Lines file of `{"text", "category", "subcategory", "urgent"}`.
    Eval {
        #[arg(long)]
        file: PathBuf,
        /// The model to measure (a file written by `train --out`); the built-in one otherwise.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Train a model on labelled reports (the same format as `eval`).
    Train {
        /// A corpus file; repeat for several.
        #[arg(long = "data", required = true)]
        data: Vec<PathBuf>,
        /// Also learn from the subcategory corrections staff made (needs `DATABASE_URL`).
        #[arg(long)]
        with_corrections: bool,
        /// Write the model to this file.
        #[arg(long, required_unless_present = "activate")]
        out: Option<PathBuf>,
        /// Store the model in the database: every running replica switches to it within
        /// `SOS_CLASSIFIER_REFRESH_SECONDS`, without a restart.
        #[arg(long)]
        activate: bool,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an account, typically the first (city) administrator. The password is read from
    /// the terminal without being shown, or from the first line of standard input with
    /// `--password-stdin` (for deployment scripts); there is never a default one.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// admin, city_leader, ward_leader, department_staff or neighborhood_head.
        #[arg(long, default_value = "admin")]
        role: String,
        /// The official code of the ward the account belongs to (none: city-wide).
        #[arg(long)]
        ward_code: Option<i32>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum GeoCommand {
    /// Import a GeoJSON FeatureCollection of boundaries: each feature a Polygon or
    /// MultiPolygon with `properties.ward_code` (the official code) and, for neighborhoods,
    /// `properties.neighborhood_code` (e.g. kp3). Features that fail a check are reported and
    /// left out.
    Import {
        file: PathBuf,
        #[arg(long, value_parser = ["ward", "neighborhood"])]
        level: String,
        /// The date the boundaries take effect (YYYY-MM-DD); today by default. Earlier
        /// versions stay for reports filed before it.
        #[arg(long)]
        valid_from: Option<chrono::NaiveDate>,
        /// Mark them as drawn approximations, not official boundaries.
        #[arg(long)]
        approximate: bool,
    },
}

async fn geo_command(command: GeoCommand) -> anyhow::Result<()> {
    let GeoCommand::Import {
        file,
        level,
        valid_from,
        approximate,
    } = command;
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let level = level.parse().expect("clap checked the level");
    let (db, writer) = database().await?;
    let clock = Clock::system();
    let asked = Import {
        level,
        collection: &json,
        valid_from: valid_from.unwrap_or_else(|| clock.today()),
        approximate,
        source: format!("file {}", file.display()),
        importer: Importer::Anywhere,
    };
    let imported = geography::import(&db, &writer, &clock, asked).await?;
    println!(
        "{} {} boundaries in force from {}: {} accepted, {} rejected",
        file.display(),
        imported.level,
        imported.valid_from,
        imported.accepted.len(),
        imported.rejected.len()
    );
    for rejection in &imported.rejected {
        eprintln!(
            "feature {} ({}): {}",
            rejection.feature,
            rejection.unit.as_deref().unwrap_or("?"),
            rejection.reasons.join("; ")
        );
    }
    anyhow::ensure!(
        !imported.accepted.is_empty() || imported.rejected.is_empty(),
        "nothing was imported"
    );
    Ok(())
}

/// Prints an evaluation for people: the headline figures, each subcategory, the confusions.
fn print_evaluation(result: &Evaluation) {
    println!("reports                {}", result.n);
    println!("category accuracy      {:.3}", result.category_accuracy);
    println!("subcategory accuracy   {:.3}", result.subcategory_accuracy);
    println!("subcategory macro-F1   {:.3}", result.subcategory_macro_f1);
    println!("urgent precision       {:.3}", result.urgent_precision);
    println!("urgent recall          {:.3}", result.urgent_recall);
    println!("folded agreement       {:.3}", result.folded_agreement);
    println!("calibration error      {:.3}", result.calibration_error);
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
    println!("\ntriage threshold   to triage   routed accuracy");
    for t in &result.triage {
        println!(
            "{:>16.2} {:>11.3} {:>17.3}",
            t.threshold, t.to_triage, t.routed_accuracy
        );
    }
}

fn read_corpus(file: &Path) -> anyhow::Result<Vec<Labelled>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    parse_corpus(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

fn read_model(file: &Path) -> anyhow::Result<Model> {
    let json =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    Model::from_json(&json).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

/// The database of the settings, brought up to date, for the commands that need one.
async fn database() -> anyhow::Result<(DatabaseConnection, Writer)> {
    let settings = Settings::from_env().context("invalid configuration")?;
    connect(&settings).await
}

async fn connect(settings: &Settings) -> anyhow::Result<(DatabaseConnection, Writer)> {
    if settings.is_sqlite() {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("cannot create {}", settings.data_dir.display()))?;
    }
    let conn = db::connect(&settings.database_url, settings.max_db_connections).await?;
    db::migrate(&conn).await?;
    let writer = Writer::for_database(&conn);
    Ok((conn, writer))
}

async fn classify_command(command: ClassifyCommand) -> anyhow::Result<()> {
    match command {
        ClassifyCommand::Eval { file, model, json } => {
            let corpus = read_corpus(&file)?;
            let model = match model {
                Some(path) => read_model(&path)?,
                None => Model::builtin(),
            };
            let result = evaluate(&model, &corpus);
            if json {
                println!("{}", serde_json::to_string(&result)?);
            } else {
                print_evaluation(&result);
            }
        }
        ClassifyCommand::Train {
            data,
            with_corrections,
            out,
            activate,
        } => {
            let corpora = data
                .iter()
                .map(|file| read_corpus(file))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let db = if with_corrections || activate {
                Some(database().await?.0)
            } else {
                None
            };
            let started = std::time::Instant::now();
            let trained =
                classifier::train(corpora, db.as_ref().filter(|_| with_corrections)).await?;
            let model = trained.model;
            eprintln!(
                "trained on {} texts ({} corrections) in {:.1} s",
                model.trained_examples(),
                trained.corrections,
                started.elapsed().as_secs_f64()
            );
            if let Some(out) = out {
                std::fs::write(&out, model.to_json())
                    .with_context(|| format!("cannot write {}", out.display()))?;
                eprintln!("model written to {}", out.display());
            }
            if let Some(db) = db.filter(|_| activate) {
                let id =
                    classifier::activate(&db, &model, trained.corrections, Clock::system().now())
                        .await
                        .map_err(for_operator)?;
                eprintln!("model {id} activated; replicas switch to it at their next check");
            }
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The classifier's tools set up what they need themselves.
    if let Command::Classify { command } = cli.command {
        return classify_command(command).await;
    }
    if let Command::Geo { command } = cli.command {
        return geo_command(command).await;
    }
    let mut settings = Settings::from_env().context("invalid configuration")?;
    init_tracing(settings.log_json);
    settings.resolve_secret().context("invalid configuration")?;
    tracing::info!(?settings, "starting");
    match cli.command {
        Command::Serve { demo } => {
            let listen = settings.listen;
            let services = Services::start(settings, Clock::system())
                .await
                .context("cannot open the database")?;
            if demo {
                seed::seed_demo(&services.db, &services.writer, &services.clock).await?;
            } else if !administration::has_administrator(&services)
                .await
                .map_err(for_operator)?
            {
                tracing::warn!(
                    "no administrator yet: create the first with `sos admin create-user \
                     --username <name> --display-name <name>` (it asks for the password; \
                     --password-stdin reads it from a script), or run `sos serve --demo` to try \
                     the service with demo wards and accounts"
                );
            }
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen} (SOS_LISTEN)"))?;
            tracing::info!("listening on http://{}", listener.local_addr()?);
            sos_api::http::serve(listener, services, sos_api::http::shutdown_signal()).await
        }
        Command::Migrate => {
            connect(&settings).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Admin { command } => admin_command(settings, command).await,
        Command::Classify { .. } | Command::Geo { .. } => {
            unreachable!("handled before the settings are read")
        }
        Command::Seed {
            demo,
            synthetic,
            seed,
        } => {
            let (conn, writer) = connect(&settings).await?;
            let clock = Clock::system();
            if let Some(count) = synthetic {
                synthetic::seed(&conn, &writer, &clock, count, seed).await
            } else if demo {
                seed::seed_demo(&conn, &writer, &clock).await
            } else {
                seed::seed_reference(&conn, &writer, &clock).await
            }
        }
    }
}

/// A use case's problem, told to the operator at the command line.
fn for_operator(problem: sos_api::problem::Problem) -> anyhow::Error {
    anyhow::anyhow!("{}", problem.describe())
}

/// The password of a new account: from the first line of standard input, or typed at the
/// terminal (not shown) twice.
fn read_new_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first = rpassword::prompt_password("Password: ")?;
    let again = rpassword::prompt_password("Password again: ")?;
    anyhow::ensure!(first == again, "the two passwords differ");
    Ok(first)
}

async fn admin_command(settings: Settings, command: AdminCommand) -> anyhow::Result<()> {
    let AdminCommand::CreateUser {
        username,
        display_name,
        role,
        ward_code,
        email,
        password_stdin,
    } = command;
    let role = role
        .parse()
        .map_err(|_| anyhow::anyhow!("unknown role {role:?}"))?;
    let password = read_new_password(password_stdin)?;
    let services = Services::start(settings, Clock::system())
        .await
        .context("cannot open the database")?;
    let ward_id = match ward_code {
        Some(code) => Some(
            administration::ward_id_of(&services, code)
                .await
                .map_err(for_operator)?,
        ),
        None => None,
    };
    let asked = NewAccount {
        username,
        display_name,
        role,
        ward_id,
        neighborhood_id: None,
        department_id: None,
        phone: None,
        email,
        replaces: None,
    };
    let account = administration::create_with_password(
        &services,
        &Author::operator(),
        None,
        asked,
        &password,
        false,
    )
    .await
    .map_err(for_operator)?;
    println!("account {} ({}) created", account.username, account.id);
    Ok(())
}

fn init_tracing(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    // A span's end is logged with its time: every request at info; with `RUST_LOG=debug`,
    // each use case and query inside it too, so a slow request shows where its time went.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
