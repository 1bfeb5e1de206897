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
    /// Load data into the database.
    Seed {
        /// The demo wards of Ho Chi Minh City with their departments and accounts.
        #[arg(long)]
        demo: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
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
