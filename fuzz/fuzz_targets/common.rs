// Shared by the fuzz targets (included with `include!`): the first byte picks the version
// profile, the rest is the file's bytes.

fn split(data: &[u8]) -> (cpyviz_model::version::PyVersion, &[u8]) {
    use cpyviz_model::version::PyVersion;
    match data.split_first() {
        Some((b, rest)) => (PyVersion::ALL[usize::from(*b) % PyVersion::ALL.len()], rest),
        None => (PyVersion::ALL[0], data),
    }
}
