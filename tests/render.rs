//! Pictures of partitions: SVG structure, PNG size, fill modes, determinism.

use resvg::{tiny_skia, usvg};
use splinecam::domain::Slice;
use splinecam::net::json;
use splinecam::partition::{Boundary, Options, Partition};
use splinecam::render::{self, Fill, RenderError, Style};

const SMALL: &str = r#"{"format":"splinecam-model","version":1,"input_shape":[2],
  "ops":[{"op":"dense","weight":[[1,0],[0,1],[1,1]],"bias":[0,0,-0.5]},{"op":"relu"},
         {"op":"dense","weight":[[1,-1,1]],"bias":[-0.25]}]}"#;

fn small(boundary: Boundary) -> Partition {
    let net = json::from_str(SMALL).unwrap();
    let slice = Slice::square_box(&[2], [-1.0, 1.0, -1.0, 1.0]).unwrap();
    let options = Options {
        boundary,
        ..Options::default()
    };
    Partition::compute(&net, &slice, &options).unwrap()
}

fn two_moons() -> Partition {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/models/two_moons.json"
    );
    let net = json::from_path(path).unwrap();
    let slice = Slice::square_box(&[2], [-1.5, 2.5, -1.0, 1.5]).unwrap();
    Partition::compute(&net, &slice, &Options::default()).unwrap()
}

/// Collects the ids of the filled paths of a usvg tree.
fn filled_paths(group: &usvg::Group, out: &mut Vec<String>) {
    for node in group.children() {
        match node {
            usvg::Node::Group(g) => filled_paths(g, out),
            usvg::Node::Path(p) if p.fill().is_some() => out.push(p.id().to_string()),
            _ => {}
        }
    }
}

fn style(fill: Fill) -> Style {
    Style {
        fill,
        width: 320,
        height: 240,
        ..Style::default()
    }
}

#[test]
fn svg_has_one_filled_path_per_region() {
    for boundary in [Boundary::None, Boundary::Auto] {
        let p = small(boundary);
        for fill in [Fill::Class, Fill::SlopeNorm, Fill::Random] {
            let svg = render::to_svg(&p, &style(fill));
            let tree = usvg::Tree::from_str(&svg, &usvg::Options::default()).unwrap();
            assert_eq!(tree.size().width(), 320.0);
            assert_eq!(tree.size().height(), 240.0);
            let mut ids = Vec::new();
            filled_paths(tree.root(), &mut ids);
            let mut regions: Vec<String> = ids
                .into_iter()
                .filter(|id| id.starts_with("region-"))
                .collect();
            regions.sort();
            let mut want: Vec<String> = p
                .regions()
                .map(|f| format!("region-{}", f.index()))
                .collect();
            want.sort();
            assert_eq!(regions, want, "{fill:?} {boundary:?}");
        }
    }
    // The boundary is drawn only when there is one.
    assert!(!render::to_svg(&small(Boundary::None), &Style::default()).contains("id=\"boundary\""));
    assert!(render::to_svg(&small(Boundary::Auto), &Style::default()).contains("id=\"boundary\""));
}

#[test]
fn fill_modes_differ() {
    let p = small(Boundary::Auto);
    let a = render::to_svg(&p, &style(Fill::Class));
    let b = render::to_svg(&p, &style(Fill::SlopeNorm));
    let c = render::to_svg(&p, &style(Fill::Random));
    assert_ne!(a, b);
    assert_ne!(b, c);
    assert_ne!(a, c);
    // Only the slope fill has a colour bar.
    assert!(b.contains("colorbar") && !a.contains("colorbar"));
}

#[test]
fn png_decodes_at_requested_size() {
    let p = small(Boundary::Auto);
    for (w, h) in [(320, 240), (100, 300), (1, 1), (17, 5)] {
        for fill in [Fill::Class, Fill::SlopeNorm, Fill::Random] {
            let s = Style {
                width: w,
                height: h,
                ..style(fill)
            };
            let png = render::to_png(&p, &s).unwrap();
            let img = tiny_skia::Pixmap::decode_png(&png).unwrap();
            assert_eq!((img.width(), img.height()), (w, h));
        }
    }
}

#[test]
fn bad_sizes_and_widths_do_not_panic() {
    let p = small(Boundary::Auto);
    for (w, h) in [(0, 10), (10, 0), (render::MAX_PNG_SIDE + 1, 10)] {
        let s = Style {
            width: w,
            height: h,
            ..Style::default()
        };
        assert!(matches!(
            render::to_png(&p, &s),
            Err(RenderError::Size { .. })
        ));
        let _ = render::to_svg(&p, &s);
    }
    let s = Style {
        edge_width: f64::NAN,
        boundary_width: -3.0,
        width: 50,
        height: 50,
        ..Style::default()
    };
    let png = render::to_png(&p, &s).unwrap();
    assert!(tiny_skia::Pixmap::decode_png(&png).is_ok());
}

#[test]
fn deterministic() {
    let p = small(Boundary::Auto);
    for fill in [Fill::Class, Fill::SlopeNorm, Fill::Random] {
        let s = style(fill);
        assert_eq!(render::to_svg(&p, &s), render::to_svg(&p, &s));
        assert_eq!(
            render::to_png(&p, &s).unwrap(),
            render::to_png(&p, &s).unwrap()
        );
    }
    // A second computation of the same partition draws the same picture.
    let q = small(Boundary::Auto);
    let s = style(Fill::Random);
    assert_eq!(
        render::to_png(&p, &s).unwrap(),
        render::to_png(&q, &s).unwrap()
    );
}

#[test]
fn anchors_are_marked() {
    let net = json::from_str(SMALL).unwrap();
    let slice = Slice::through_two(&[2], &[0.0, 0.0], &[0.5, 0.2], 0.3, 3).unwrap();
    let p = Partition::compute(&net, &slice, &Options::default()).unwrap();
    let svg = render::to_svg(&p, &Style::default());
    assert_eq!(svg.matches("<circle").count(), 2);
    assert!(render::to_png(&p, &style(Fill::Class)).is_ok());
}

/// Draws the two-moons classifier in the three fill modes to
/// `/tmp/two_moons*.png` (for looking at) and checks the images.
#[test]
fn two_moons_demo() {
    let p = two_moons();
    assert!(p.num_regions() > 50);
    let dir = std::env::temp_dir();
    for (fill, name) in [
        (Fill::Class, "two_moons.png"),
        (Fill::SlopeNorm, "two_moons_slope.png"),
        (Fill::Random, "two_moons_random.png"),
    ] {
        let s = Style {
            fill,
            ..Style::default()
        };
        let png = render::to_png(&p, &s).unwrap();
        let img = tiny_skia::Pixmap::decode_png(&png).unwrap();
        assert_eq!((img.width(), img.height()), (s.width, s.height));
        std::fs::write(dir.join(name), &png).unwrap();
    }
    std::fs::write(
        dir.join("two_moons.svg"),
        render::to_svg(&p, &Style::default()),
    )
    .unwrap();
}

#[test]
fn class_legend_lists_the_classes_present() {
    // With a boundary: one swatch per class present (here classes 0 and 1).
    let svg = render::to_svg(&small(Boundary::Auto), &style(Fill::Class));
    let legend = svg
        .split(r#"<g id="legend""#)
        .nth(1)
        .expect("a legend")
        .split("</g>")
        .next()
        .expect("its group");
    assert_eq!(legend.matches("<rect").count(), 2, "{legend}");
    assert!(svg.contains(r#"id="legend-labels""#));
    // Without a boundary, with another fill or without axes: no legend.
    assert!(!render::to_svg(&small(Boundary::None), &style(Fill::Class)).contains("legend"));
    assert!(!render::to_svg(&small(Boundary::Auto), &style(Fill::Random)).contains("legend"));
    let bare = Style {
        draw_axes: false,
        ..style(Fill::Class)
    };
    assert!(!render::to_svg(&small(Boundary::Auto), &bare).contains("legend"));
}
