//! `qtop demo`: the dashboard screen belongs to the UI; `--headless` runs the engine alone.

use anyhow::{bail, Result};

use crate::cli::{DemoArgs, GlobalArgs};

pub async fn run(_global: &GlobalArgs, args: &DemoArgs) -> Result<()> {
    if !args.headless {
        bail!("the demo screen is not built yet: use `qtop demo --headless`");
    }
    bail!("not yet")
}
