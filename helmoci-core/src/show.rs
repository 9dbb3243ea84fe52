//! What `helm show chart|values|readme|crds|all` prints.

use std::str::FromStr;

use crate::chart::Chart;
use crate::Error;

/// Which part of a chart to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShowFormat {
    /// `Chart.yaml`, re-marshalled.
    Chart,
    /// `values.yaml`, raw.
    Values,
    /// The README.
    Readme,
    /// The CRDs in `crds/` (and the subcharts').
    Crds,
    /// All of the above, separated by `---`.
    All,
}

impl FromStr for ShowFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s {
            "chart" => ShowFormat::Chart,
            "values" => ShowFormat::Values,
            "readme" => ShowFormat::Readme,
            "crds" => ShowFormat::Crds,
            "all" => ShowFormat::All,
            _ => {
                return Err(Error::InvalidShowFormat {
                    format: s.to_owned(),
                })
            }
        })
    }
}

/// Renders `format` of `chart` exactly as `helm show` prints it.
///
/// # Errors
/// Errors reading file contents left on disk.
pub fn show(chart: &Chart, format: ShowFormat) -> Result<String, Error> {
    use ShowFormat::*;
    let mut out = String::new();
    let all = format == All;
    if matches!(format, Chart | All) {
        out.push_str(&chart.metadata.to_yaml());
        out.push('\n');
    }
    if matches!(format, Values | All) {
        if let Some(values) = &chart.values {
            if all {
                out.push_str("---\n");
            }
            out.push_str(&String::from_utf8_lossy(&values.data()?));
            out.push('\n');
        }
    }
    if matches!(format, Readme | All) {
        if let Some(readme) = chart.readme() {
            if all {
                out.push_str("---\n");
            }
            out.push_str(&String::from_utf8_lossy(&readme.data()?));
            out.push('\n');
        }
    }
    if matches!(format, Crds | All) {
        for crd in chart.crds() {
            let data = crd.data()?;
            if !data.starts_with(b"---") {
                out.push_str("---\n");
            }
            out.push_str(&String::from_utf8_lossy(&data));
            out.push('\n');
        }
    }
    Ok(out)
}
