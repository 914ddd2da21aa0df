//! The bundled sample logs (placeholder).

/// Write the sample logs into `out`.
pub fn run_cli(_out: &std::path::Path) -> anyhow::Result<i32> {
    anyhow::bail!("the EVTX writer is not built yet")
}
