use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    subgraph_kit::telemetry::logs::init();
    orders::cli::Cli::parse().run().await?;
    Ok(())
}
