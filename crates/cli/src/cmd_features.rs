pub fn run(_a: crate::args::FeaturesArgs) -> anyhow::Result<std::process::ExitCode> { anyhow::bail!("todo") }
