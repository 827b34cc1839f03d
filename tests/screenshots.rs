//! The committed screenshots must be what `cpyviz shot` renders today.

use cpyviz::cli::Shot;

#[test]
fn committed_svgs_are_up_to_date() {
    let manifest = std::fs::read_to_string("screenshots/manifest.txt").unwrap();
    let mut checked = 0;
    for line in manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut words = line.split_whitespace();
        let name = words.next().unwrap();
        let out = format!("screenshots/{name}");
        let args = ["cpyviz", "shot"]
            .into_iter()
            .chain(words)
            .chain(["-o", out.as_str()]);
        let shot = Shot::from_args(args).unwrap_or_else(|e| panic!("{line}: {e}"));
        let fresh = shot.render().unwrap();
        let committed = std::fs::read(&out).unwrap_or_default();
        if fresh != committed {
            // The first line that differs says what changed (an SVG has a line per text run).
            let (f, c) = (
                String::from_utf8_lossy(&fresh),
                String::from_utf8_lossy(&committed),
            );
            let first = f
                .lines()
                .zip(c.lines())
                .enumerate()
                .find(|(_, (a, b))| a != b)
                .map(|(i, (a, b))| format!("line {}:\n  now:       {a}\n  committed: {b}", i + 1))
                .unwrap_or_else(|| "one is a prefix of the other".into());
            panic!("{out} is stale: run scripts/screenshots and commit the result\n{first}");
        }
        checked += 1;
    }
    assert!(checked >= 2, "the manifest lists the README's screenshots");
}
