//! `make-charts DIR`: writes the benchmark charts (small, templates2000, big80mib) into DIR.

fn main() -> std::io::Result<()> {
    let dir = std::env::args_os()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "bench-charts".into());
    std::fs::create_dir_all(&dir)?;
    for size in helmoci_benches::Size::ALL {
        let path = helmoci_benches::make_chart(&dir, size)?;
        println!("{}", path.display());
    }
    Ok(())
}
