//! `switchboard`: run every function on one machine (`serve`), play a
//! customer (`simulate`), read what happened (`conversations`, `timeline`,
//! `routing`), and manage agents' presence (`agents`, `presence`).

/// Print a line on stdout. A closed pipe (`switchboard conversations | head`)
/// ends the command quietly instead of panicking as `println!` does.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            $crate::stdout_failed(e);
        }
    }};
}

/// Stdout could not be written: a reader that went away ends the command
/// with success and no word; anything else is an error.
pub(crate) fn stdout_failed(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("switchboard: cannot write to stdout: {e}");
    std::process::exit(1);
}

mod age;
mod agent;
mod console;
mod http_server;
mod last;
mod local_token;
mod routing;
mod sample_bot;
mod serve;
mod simulate;
mod tap;
mod timeline;
mod transcript;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: serve allocates many small,
/// short-lived buffers per event, where glibc's spent 15% of its CPU
/// (`make bench`, pipeline).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Facebook Messenger channel for customer service"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every function in one process on the embedded store and in-process queues.
    Serve(serve::ServeArgs),
    /// Send a signed webhook delivery to a running server, as Meta would.
    Simulate(simulate::SimulateArgs),
    /// List conversations (admin API).
    Conversations(simulate::ConversationsArgs),
    /// Print a conversation: both sides, with what went out and its status, in local time (admin API; --raw for Meta's events).
    Timeline(timeline::TimelineArgs),
    /// Print every page's provisioning state, and the alerts (admin API).
    Pages(simulate::PagesArgs),
    /// Make a running Switchboard match a configuration file (admin API).
    Apply(simulate::ApplyArgs),
    /// Write the current configuration as a file, secrets as ${ENV} placeholders.
    Export(simulate::ExportArgs),
    /// List agents with presence, load, queues and skills (admin API).
    Agents(routing::AgentsArgs),
    /// Set an agent's presence, as a supervisor (admin API).
    Presence(routing::PresenceArgs),
    /// Act as an agent: presence, inbox, events, accept, reply, transfer, close (agent API).
    Agent(agent::AgentArgs),
    /// Explain how a conversation was routed: rules, queue, agents considered (admin API).
    Routing(routing::RoutingArgs),
    /// Print a shell completion script: `source <(switchboard completions bash)`
    /// (also zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Run a small workstream bot (opening hours, order status; invoices and
    /// the rest go to humans), to try the bot flow offline.
    SampleBot(sample_bot::SampleBotArgs),
    /// Run a local stand-in for Meta's Graph API, to try channel set-up offline.
    FakeGraph {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        addr: String,
    },
}

fn init_tracing() {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    // Metric lines (one a minute per counter) only when asked for, e.g.
    // SWITCHBOARD_LOG=debug or SWITCHBOARD_LOG=info,switchboard::metric=info.
    let filter = EnvFilter::try_from_env("SWITCHBOARD_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,switchboard::metric=warn"));
    let json = std::env::var("SWITCHBOARD_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

async fn fake_graph(addr: &str) -> Result<(), Box<dyn std::error::Error>> {
    let fake = switchboard_graph::fake::FakeGraph::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    out!("fake Graph API on {} (app 900000000000001)", fake.base);
    out!(
        "  a page token ending in -page-<id> belongs to page <id>; one containing 'revoked' is invalid"
    );
    tokio::select! {
        _ = fake.wait() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}

/// Threads for storage reads (list scans, queue members, waiting items; the
/// group commits have threads of their own). Each keeps an allocator heap:
/// at 32, a drained backlog's peak resident memory ranged 185-352 MiB over
/// runs, as more or fewer of them stayed alive (`make bench` pipeline).
const BLOCKING_THREADS: usize = 8;

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build();
    match runtime {
        Ok(rt) => rt.block_on(run()),
        Err(e) => {
            eprintln!("switchboard: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result = match cli.command {
        Command::Serve(a) => serve::run(a).await,
        Command::Simulate(a) => simulate::run(a).await,
        Command::Conversations(a) => simulate::conversations(a).await,
        Command::Timeline(a) => timeline::timeline(a).await,
        Command::Pages(a) => simulate::pages(a).await,
        Command::Apply(a) => simulate::apply(a).await,
        Command::Export(a) => simulate::export(a).await,
        Command::Agents(a) => routing::agents(a).await,
        Command::Presence(a) => routing::presence(a).await,
        Command::Routing(a) => routing::routing(a).await,
        Command::Agent(a) => agent::run(a).await,
        Command::FakeGraph { addr } => fake_graph(&addr).await,
        Command::SampleBot(a) => sample_bot::run(a).await,
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "switchboard", &mut buf);
            out!("{}", String::from_utf8_lossy(&buf).trim_end());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("switchboard: {e}");
            ExitCode::FAILURE
        }
    }
}
