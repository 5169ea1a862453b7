// Each target writes its input to a file (the readers take paths, as users give them), in
// /dev/shm when it exists, one file per process.
pub fn scratch(name: &str, data: &[u8]) -> std::path::PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() { std::path::PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    let path = dir.join(format!("genrecast-fuzz-{}-{name}", std::process::id()));
    std::fs::write(&path, data).expect("scratch file");
    path
}
