use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let traces = subgraph_kit::telemetry::TraceSettings::from_env()?;
    let _telemetry = subgraph_kit::telemetry::init(products::app::NAME, &traces)?;
    products::cli::Cli::parse().run().await?;
    Ok(())
}
