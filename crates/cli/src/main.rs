//! The `genrecast` binary: glue between clap and the genrecast library crates.

#[macro_use]
mod output;
mod args;
mod cmd_bench;
mod cmd_bench_classify;
mod cmd_bench_memory;
mod cmd_bench_models;
mod cmd_bench_serve;
mod eval_report;
mod cmd_cache;
mod cmd_classify;
mod cmd_dataset;
mod cmd_features;
mod cmd_info;
mod cmd_library;
mod cmd_library_browse;
mod cmd_models;
mod cmd_train;
mod config_file;
mod inputs;
mod journal;
mod names;
mod progress;
mod report;

use std::process::ExitCode;

use clap::Parser;

// Feature extraction allocates a few megabytes per file and frees them; glibc hands blocks that
// large back to the kernel each time, so every file paid for fresh zeroed pages (a fifth of
// the feature time in a profile). mimalloc keeps them for the next file.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let argv = match config_file::expand(std::env::args_os().collect()) {
        Ok(a) => a,
        Err(err) => {
            eprintln!("error: {}", crate::names::escape_controls(&crate::report::chain(&err)));
            return ExitCode::from(2);
        }
    };
    let args = args::Cli::parse_from(argv);
    // A decoder's panic is caught and reported as an error of its file, with its message; the
    // hook stays quiet for those alone. Any other panic is a bug and is printed in full.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !genrecast_audio::panic_is_reported_per_file() {
            default_hook(info);
        }
    }));
    match run(args) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", crate::names::escape_controls(&crate::report::chain(&err)));
            ExitCode::from(2)
        }
    }
}

fn run(cli: args::Cli) -> anyhow::Result<ExitCode> {
    if let Some(n) = cli.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    // f64 is the features' exact STFT; musicnn's exact path is f32.
    let f64_features = cli.precision == "f64";
    genrecast_models::Precision::set_default(if f64_features { genrecast_models::Precision::F32 } else { cli.precision.parse()? });
    genrecast_features::Precision::set_default(if f64_features { genrecast_features::Precision::F64 } else { genrecast_features::Precision::F32 });
    genrecast_audio::set_strict_default(cli.strict);
    match cli.command {
        args::Command::Classify(a) => cmd_classify::classify(a),
        args::Command::Tag(a) => cmd_classify::tag(a),
        args::Command::Info(a) => cmd_info::run(a),
        args::Command::Features(a) => cmd_features::run(a),
        args::Command::Bench(args::BenchCommand::Features(a)) => cmd_bench::run(a),
        args::Command::Bench(args::BenchCommand::Model(a)) => cmd_bench::bench_model(a),
        args::Command::Bench(args::BenchCommand::Classify(a)) => cmd_bench_classify::run(a),
        args::Command::Bench(args::BenchCommand::Serve(a)) => cmd_bench_serve::run(a),
        args::Command::Bench(args::BenchCommand::Memory(a)) => cmd_bench_memory::run(a),
        args::Command::Dataset(args::DatasetCommand::Summary(a)) => cmd_dataset::summary(a),
        args::Command::Dataset(args::DatasetCommand::Split(a)) => cmd_dataset::split(a),
        args::Command::Dataset(args::DatasetCommand::Verify(a)) => cmd_dataset::verify(a),
        args::Command::Cache(c) => cmd_cache::run(c),
        args::Command::Train(a) => cmd_train::train(*a),
        args::Command::Eval(a) => cmd_train::eval(a),
        args::Command::BenchModels(a) => cmd_bench_models::run(a),
        args::Command::BenchEmbeddings(a) => cmd_bench_models::embeddings(a),
        args::Command::Index(a) => cmd_library::index(a),
        args::Command::Similar(a) => cmd_library::similar(a),
        args::Command::Playlist(a) => cmd_library::playlist(a),
        args::Command::Map(a) => cmd_library::map(a),
        args::Command::Library(c) => cmd_library_browse::run(c),
        args::Command::Serve(a) => serve(a),
        args::Command::Plot(a) => cmd_library::plot(a),
        args::Command::Models(a) => match a.command {
            None => cmd_models::list(&a.list),
            Some(args::ModelsCommand::List(l)) => cmd_models::list(&l),
            Some(args::ModelsCommand::Export(e)) => cmd_models::export(&e),
        },
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

/// `genrecast serve`: the HTTP API of `genrecast-server` on a tokio runtime.
fn serve(args: args::ServeArgs) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    let positive = |v: f64| v > 0.0 && v.is_finite();
    let buffered_mb = args.max_buffered_mb.unwrap_or(4.0 * args.max_upload_mb);
    if ![args.timeout_s, args.max_upload_mb, args.max_seconds, args.upload_timeout_s, buffered_mb].into_iter().all(positive) {
        anyhow::bail!("--timeout-s, --upload-timeout-s, --max-upload-mb, --max-buffered-mb and --max-seconds must be positive");
    }
    let seconds = |v: f64, flag: &str| std::time::Duration::try_from_secs_f64(v).map_err(|_| anyhow::anyhow!("{flag} {v}: too large"));
    let timeout = seconds(args.timeout_s, "--timeout-s")?;
    let upload_timeout = seconds(args.upload_timeout_s, "--upload-timeout-s")?;
    args.device.device.burn_device()?;
    let mut config = genrecast_server::ServerConfig { model: args.model, root: args.root, max_upload_bytes: (args.max_upload_mb * 1024.0 * 1024.0) as usize, max_audio_seconds: args.max_seconds, timeout, library: args.db, max_queue: args.max_queue, max_buffered_bytes: (buffered_mb * 1024.0 * 1024.0) as usize, upload_timeout, device: args.device.device, ..Default::default() };
    if let Some(j) = args.max_jobs {
        config.max_jobs = j.max(1);
    }
    // Model, root and library are checked before anything says "serving".
    let app = genrecast_server::router(config.clone())?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.addr).await.with_context(|| format!("listening on {}", args.addr))?;
        let addr = listener.local_addr()?;
        outln!("genrecast serving {} on http://{addr} (web page at /; POST /classify, /tag, /embed, /similar; GET /health, /openapi.json)", config.model);
        use std::io::Write as _;
        std::io::stdout().flush()?;
        genrecast_server::serve_router(listener, app).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
