use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let traces = subgraph_kit::telemetry::TraceSettings::from_env()?;
    let _telemetry = subgraph_kit::telemetry::init(payments::app::NAME, &traces)?;
    payments::cli::Cli::parse().run().await?;
    Ok(())
}
