//! Writes a synthetic dbmate migration chain: `gen_chain DIR COUNT [SEED]`.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(count)) = (args.first(), args.get(1).and_then(|c| c.parse().ok())) else {
        eprintln!("usage: gen_chain DIR COUNT [SEED]  (writes COUNT migrations into DIR)");
        return std::process::ExitCode::from(2);
    };
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    match squashmate::chaingen::write_chain(std::path::Path::new(dir), count, seed) {
        Ok(()) => {
            println!("wrote {count} migrations (seed {seed}) to {dir}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("Error: cannot write to {dir}: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
