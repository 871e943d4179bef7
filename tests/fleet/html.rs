//! The fleet HTML report, rendered in headless Chromium: self-contained, sorted and coloured.

use super::*;

// ---------------------------------------------------------------------------------------------
// The HTML report in a real browser.

/// Debian's headless Chromium, if installed (`$CHROMIUM` overrides). Under `CI` it must be.
fn chromium() -> Option<String> {
    let candidates = [
        std::env::var("CHROMIUM").unwrap_or_default(),
        "chromium".to_owned(),
        "chromium-browser".to_owned(),
    ];
    for c in candidates.iter().filter(|c| !c.is_empty()) {
        let ok = Std::new(c)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(c.clone());
        }
    }
    None
}

/// Runs headless Chromium on `page` with `args`; gives up after a minute.
fn browse(chromium: &str, profile: &Path, args: &[String], page: &Path) -> Output {
    let mut child = Std::new(chromium)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .env("HOME", profile)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("chromium did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_html_report_is_self_contained_and_renders_sorted_and_coloured_in_headless_chromium() {
    let w = World::new();
    w.server.open_pr("acme", "orders", BRANCH, "main", "t", "b");
    let page = w.tmp.path().join("fleet.html");
    let o = w.fleet(&["--format", "html", "--output", page.to_str().unwrap()]);
    assert_code(&o, 1);
    let html = std::fs::read_to_string(&page).unwrap();

    // One file, nothing fetched from elsewhere: no external script, style, image or font.
    for needle in ["<link", " src=", "@import", "url(", "cdn", "<iframe"] {
        assert!(!html.contains(needle), "{needle:?} in the page");
    }
    assert!(html.contains("<style>") && html.contains("<script>") && html.contains("<svg"));
    // Escaped: the broken service's URL holds markup.
    assert!(!html.contains("<b>nope</b>"), "unescaped text in the page");
    assert!(html.contains("&lt;b&gt;nope&lt;/b&gt;"));
    assert!(html.contains(&format!(
        "<a href=\"{}/acme/orders/pull/1\" rel=\"noopener noreferrer\">#1</a>",
        w.server.web_url()
    )));
    // The page lists rows alphabetically; the script sorts them worst first.
    let order = |text: &str| -> Vec<String> {
        text.match_indices("<tr class=\"st-")
            .map(|(i, _)| {
                let rest = &text[i..];
                let start = rest.find("data-name=\"").unwrap() + 11;
                rest[start..start + rest[start..].find('"').unwrap()].to_owned()
            })
            .collect()
    };
    assert_eq!(
        order(&html),
        ["billing", "broken", "legacy", "orders", "payments"]
    );

    let Some(chromium) = chromium() else {
        // CI installs Chromium (scripts/install-test-tools.sh): there the test must run.
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is not installed: run scripts/install-test-tools.sh"
        );
        eprintln!("skipped: chromium not installed (apt-get install chromium)");
        return;
    };
    let profile = w.tmp.path().join("chromium-profile");
    std::fs::create_dir_all(&profile).unwrap();

    // The DOM after the script ran: marked ready, sorted by status, worst first.
    let o = browse(&chromium, &profile, &["--dump-dom".to_owned()], &page);
    assert!(o.status.success(), "chromium --dump-dom: {}", stderr(&o));
    let dom = stdout(&o);
    assert!(
        dom.contains("data-ready=\"true\""),
        "the script did not run:\n{dom}"
    );
    assert!(dom.contains("data-sorted=\"status desc\""), "{dom}");
    assert!(dom.contains("aria-sort=\"descending\""), "{dom}");
    assert_eq!(
        order(&dom),
        ["payments", "legacy", "broken", "orders", "billing"],
        "rows sorted worst first by the script"
    );

    // The rendered page: a 1200×800 screenshot with the status colours in it.
    let png = w.tmp.path().join("fleet.png");
    let o = browse(
        &chromium,
        &profile,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1200,800".to_owned(),
        ],
        &page,
    );
    assert!(o.status.success(), "chromium --screenshot: {}", stderr(&o));
    let bytes = std::fs::read(&png).expect("a screenshot");
    let image = png::decode(&bytes);
    assert_eq!((image.width, image.height), (1200, 800));
    let distinct = image.distinct_colours();
    assert!(
        distinct > 100,
        "a near-blank page: {distinct} distinct colours"
    );
    // Row backgrounds (one per status) and the chart's bars, as painted.
    let wanted: [(&str, [u8; 3], usize); 8] = [
        ("in-sync row", [0xe6, 0xf4, 0xea], 2000),
        ("behind row", [0xff, 0xf4, 0xd6], 2000),
        ("breaking row", [0xfd, 0xe2, 0xe1], 2000),
        ("edited row", [0xfd, 0xe9, 0xdf], 2000),
        ("unknown row", [0xee, 0xee, 0xee], 2000),
        ("breaking bar", [0xc6, 0x28, 0x28], 500),
        ("behind bar", [0xf9, 0xa8, 0x25], 500),
        ("white page", [0xff, 0xff, 0xff], 100_000),
    ];
    for (what, rgb, at_least) in wanted {
        let n = image.count_near(rgb, 2);
        assert!(
            n >= at_least,
            "{what} #{:02x}{:02x}{:02x}: {n} pixels (want ≥ {at_least}); keep {} to look at it",
            rgb[0],
            rgb[1],
            rgb[2],
            png.display()
        );
    }
    // The breaking row is painted above the in-sync row (the script sorted them).
    let first = |rgb: [u8; 3]| image.first_row_with(rgb, 2, 200).unwrap();
    assert!(first([0xfd, 0xe2, 0xe1]) < first([0xe6, 0xf4, 0xea]));
    if let Ok(keep) = std::env::var("PROTOSYNC_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }
}

/// A PNG decoder for the screenshot: 8-bit RGB or RGBA, non-interlaced (what Chromium
/// writes), with the zlib stream inflated here (no image or compression crate needed), its
/// Adler-32 and every chunk's CRC checked.
mod png {
    pub struct Image {
        pub width: usize,
        pub height: usize,
        /// RGB triples, row by row.
        pub rgb: Vec<[u8; 3]>,
    }

    impl Image {
        pub fn distinct_colours(&self) -> usize {
            let mut all: Vec<[u8; 3]> = self.rgb.clone();
            all.sort_unstable();
            all.dedup();
            all.len()
        }

        fn near(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
            a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tolerance)
        }

        pub fn count_near(&self, rgb: [u8; 3], tolerance: u8) -> usize {
            self.rgb
                .iter()
                .filter(|p| Self::near(**p, rgb, tolerance))
                .count()
        }

        /// The first pixel row holding at least `min` pixels of that colour.
        pub fn first_row_with(&self, rgb: [u8; 3], tolerance: u8, min: usize) -> Option<usize> {
            (0..self.height).find(|y| {
                self.rgb[y * self.width..(y + 1) * self.width]
                    .iter()
                    .filter(|p| Self::near(**p, rgb, tolerance))
                    .count()
                    >= min
            })
        }
    }

    fn be32(b: &[u8]) -> u32 {
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    pub fn decode(bytes: &[u8]) -> Image {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
        let (mut pos, mut idat) = (8, Vec::new());
        let (mut width, mut height, mut channels) = (0, 0, 0);
        loop {
            let len = be32(&bytes[pos..]) as usize;
            let kind = &bytes[pos + 4..pos + 8];
            let data = &bytes[pos + 8..pos + 8 + len];
            let crc = be32(&bytes[pos + 8 + len..]);
            assert_eq!(crc, crc32(&bytes[pos + 4..pos + 8 + len]), "bad chunk CRC");
            match kind {
                b"IHDR" => {
                    width = be32(data) as usize;
                    height = be32(&data[4..]) as usize;
                    let (depth, colour, interlace) = (data[8], data[9], data[12]);
                    assert_eq!((depth, interlace), (8, 0), "only 8-bit, non-interlaced");
                    channels = match colour {
                        2 => 3,
                        6 => 4,
                        other => panic!("PNG colour type {other} not handled"),
                    };
                }
                b"IDAT" => idat.extend_from_slice(data),
                b"IEND" => break,
                _ => {}
            }
            pos += 12 + len;
        }
        let raw = zlib(&idat);
        let stride = width * channels;
        assert_eq!(raw.len(), height * (stride + 1), "inflated size");
        let mut pixels = vec![0u8; height * stride];
        for y in 0..height {
            let filter = raw[y * (stride + 1)];
            let line = &raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
            for x in 0..stride {
                let a = if x >= channels {
                    pixels[y * stride + x - channels]
                } else {
                    0
                };
                let b = if y > 0 {
                    pixels[(y - 1) * stride + x]
                } else {
                    0
                };
                let c = if y > 0 && x >= channels {
                    pixels[(y - 1) * stride + x - channels]
                } else {
                    0
                };
                let predicted = match filter {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                    4 => {
                        let p = i16::from(a) + i16::from(b) - i16::from(c);
                        let (pa, pb, pc) = (
                            (p - i16::from(a)).abs(),
                            (p - i16::from(b)).abs(),
                            (p - i16::from(c)).abs(),
                        );
                        if pa <= pb && pa <= pc {
                            a
                        } else if pb <= pc {
                            b
                        } else {
                            c
                        }
                    }
                    other => panic!("PNG filter {other}"),
                };
                pixels[y * stride + x] = line[x].wrapping_add(predicted);
            }
        }
        let rgb = pixels
            .chunks_exact(channels)
            .map(|p| [p[0], p[1], p[2]])
            .collect();
        Image { width, height, rgb }
    }

    /// Inflates a zlib stream (RFC 1950/1951) and checks its Adler-32.
    fn zlib(data: &[u8]) -> Vec<u8> {
        assert_eq!(data[0] & 0x0f, 8, "zlib: deflate");
        assert_eq!(
            (u16::from(data[0]) << 8 | u16::from(data[1])) % 31,
            0,
            "zlib header"
        );
        let mut bits = Bits {
            data: &data[2..],
            pos: 0,
            buf: 0,
            count: 0,
        };
        let out = inflate(&mut bits);
        let end = 2 + bits.pos;
        let (mut s1, mut s2) = (1u32, 0u32);
        for &b in &out {
            s1 = (s1 + u32::from(b)) % 65_521;
            s2 = (s2 + s1) % 65_521;
        }
        assert_eq!(be32(&data[end..]), (s2 << 16) | s1, "zlib: Adler-32");
        out
    }

    struct Bits<'a> {
        data: &'a [u8],
        pos: usize,
        buf: u32,
        count: u32,
    }

    impl Bits<'_> {
        fn take(&mut self, n: u32) -> u32 {
            while self.count < n {
                let byte = *self.data.get(self.pos).expect("deflate: out of data");
                self.pos += 1;
                self.buf |= u32::from(byte) << self.count;
                self.count += 8;
            }
            let v = self.buf & ((1u32 << n) - 1);
            self.buf >>= n;
            self.count -= n;
            v
        }

        /// Drops the bits left in the current byte.
        fn align(&mut self) {
            self.buf = 0;
            self.count = 0;
        }
    }

    /// A canonical Huffman code: codes per length and symbols in code order (as zlib's puff).
    struct Huffman {
        counts: [u16; 16],
        symbols: Vec<u16>,
    }

    impl Huffman {
        fn new(lengths: &[u8]) -> Huffman {
            let mut counts = [0u16; 16];
            for &l in lengths {
                counts[l as usize] += 1;
            }
            counts[0] = 0;
            let mut offsets = [0u16; 16];
            for len in 1..15 {
                offsets[len + 1] = offsets[len] + counts[len];
            }
            let mut symbols = vec![0u16; lengths.len()];
            for (sym, &l) in lengths.iter().enumerate() {
                if l != 0 {
                    symbols[offsets[l as usize] as usize] = sym as u16;
                    offsets[l as usize] += 1;
                }
            }
            Huffman { counts, symbols }
        }

        fn decode(&self, bits: &mut Bits<'_>) -> u16 {
            let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
            for len in 1..16 {
                code |= bits.take(1) as i32;
                let count = i32::from(self.counts[len]);
                if code - count < first {
                    return self.symbols[(index + (code - first)) as usize];
                }
                index += count;
                first += count;
                first <<= 1;
                code <<= 1;
            }
            panic!("deflate: bad Huffman code");
        }
    }

    const LEN_BASE: [u16; 29] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
        131, 163, 195, 227, 258,
    ];
    const LEN_EXTRA: [u8; 29] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ];
    const DIST_BASE: [u16; 30] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
        2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
    ];
    const DIST_EXTRA: [u8; 30] = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12,
        13, 13,
    ];

    fn inflate(bits: &mut Bits<'_>) -> Vec<u8> {
        let mut out: Vec<u8> = Vec::new();
        loop {
            let last = bits.take(1) == 1;
            match bits.take(2) {
                0 => {
                    bits.align();
                    let p = bits.pos;
                    let len = u16::from_le_bytes([bits.data[p], bits.data[p + 1]]) as usize;
                    let nlen = u16::from_le_bytes([bits.data[p + 2], bits.data[p + 3]]);
                    assert_eq!(len as u16, !nlen, "deflate: stored length");
                    out.extend_from_slice(&bits.data[p + 4..p + 4 + len]);
                    bits.pos = p + 4 + len;
                }
                1 => {
                    let mut lengths = [0u8; 288];
                    lengths[..144].fill(8);
                    lengths[144..256].fill(9);
                    lengths[256..280].fill(7);
                    lengths[280..].fill(8);
                    let lit = Huffman::new(&lengths);
                    let dist = Huffman::new(&[5u8; 30]);
                    codes(bits, &mut out, &lit, &dist);
                }
                2 => {
                    let nlen = bits.take(5) as usize + 257;
                    let ndist = bits.take(5) as usize + 1;
                    let ncode = bits.take(4) as usize + 4;
                    const ORDER: [usize; 19] = [
                        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
                    ];
                    let mut cl = [0u8; 19];
                    for &i in &ORDER[..ncode] {
                        cl[i] = bits.take(3) as u8;
                    }
                    let clh = Huffman::new(&cl);
                    let mut lengths = vec![0u8; nlen + ndist];
                    let mut i = 0;
                    while i < nlen + ndist {
                        let sym = clh.decode(bits);
                        let (value, repeat) = match sym {
                            0..=15 => (sym as u8, 1),
                            16 => {
                                assert!(i > 0, "deflate: repeat with no length");
                                (lengths[i - 1], 3 + bits.take(2) as usize)
                            }
                            17 => (0, 3 + bits.take(3) as usize),
                            _ => (0, 11 + bits.take(7) as usize),
                        };
                        for _ in 0..repeat {
                            lengths[i] = value;
                            i += 1;
                        }
                    }
                    let lit = Huffman::new(&lengths[..nlen]);
                    let dist = Huffman::new(&lengths[nlen..]);
                    codes(bits, &mut out, &lit, &dist);
                }
                _ => panic!("deflate: bad block type"),
            }
            if last {
                // The Adler-32 starts at the next byte boundary.
                bits.align();
                return out;
            }
        }
    }

    fn codes(bits: &mut Bits<'_>, out: &mut Vec<u8>, lit: &Huffman, dist: &Huffman) {
        loop {
            let sym = lit.decode(bits) as usize;
            match sym {
                0..=255 => out.push(sym as u8),
                256 => return,
                _ => {
                    let i = sym - 257;
                    let len = LEN_BASE[i] as usize + bits.take(u32::from(LEN_EXTRA[i])) as usize;
                    let d = dist.decode(bits) as usize;
                    let back = DIST_BASE[d] as usize + bits.take(u32::from(DIST_EXTRA[d])) as usize;
                    assert!(back <= out.len(), "deflate: distance too far back");
                    let start = out.len() - back;
                    for k in 0..len {
                        out.push(out[start + k]);
                    }
                }
            }
        }
    }
}
