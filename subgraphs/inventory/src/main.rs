use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    subgraph_kit::telemetry::logs::init();
    inventory::cli::Cli::parse().run().await?;
    Ok(())
}
