//! QR codes as inline SVG, for enrolling an authenticator app (the `otpauth://` URI). Rendered
//! here, on the server, so that the secret never goes to a third-party QR service and the page
//! needs no script.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use crate::error::{AuthError, Result};

/// Width and height of the rendered image in CSS pixels; the `viewBox` scales the modules.
pub const SIZE_PX: u32 = 240;

/// Modules of white margin on each side, as the QR specification asks.
const QUIET_ZONE: usize = 4;

/// Renders `data` as a QR code (error correction level M) in an `<svg>` element ready to embed
/// in a page: black modules on a white background with a quiet zone, a `viewBox` in module
/// units, `width`/`height` of 240 px, `role="img"` and an `aria-label`. No XML prolog, no
/// script, no external reference.
///
/// # Errors
/// [`AuthError::Qr`] when `data` is too long for a QR code.
pub fn qr_svg(data: &str) -> Result<String> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| AuthError::Qr(format!("cannot encode the data: {e}")))?;
    let rendered = code
        .render::<svg::Color<'_>>()
        .quiet_zone(true)
        .module_dimensions(1, 1)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();

    // The renderer sizes the image in modules (`width="N" height="N"`); the page wants pixels
    // and an accessible name. Replace that one attribute pair and drop the XML prolog.
    let modules = code.width() + 2 * QUIET_ZONE;
    let size_attributes = format!(r#" width="{modules}" height="{modules}""#);
    let start = rendered.find("<svg").ok_or_else(|| unexpected("no <svg> element"))?;
    let element = &rendered[start..];
    if !element.contains(&format!(r#"viewBox="0 0 {modules} {modules}""#)) {
        return Err(unexpected("no viewBox in module units"));
    }
    let ours = format!(r#" width="{SIZE_PX}" height="{SIZE_PX}" role="img" aria-label="QR code""#);
    let svg = element.replacen(&size_attributes, &ours, 1);
    if svg == element {
        return Err(unexpected("no width and height to replace"));
    }
    Ok(svg)
}

fn unexpected(what: &str) -> AuthError {
    AuthError::Qr(format!("the SVG renderer produced unexpected output ({what})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_otpauth_uri_renders_as_an_accessible_self_contained_svg() {
        let svg = qr_svg(
            "otpauth://totp/Connect%20981:jdoe?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Connect%20981\
             &algorithm=SHA1&digits=6&period=30",
        )
        .unwrap();
        assert!(svg.starts_with("<svg "), "{}", &svg[..80]);
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains(r#"width="240" height="240" role="img" aria-label="QR code""#), "{svg}");
        assert!(svg.contains("viewBox=\"0 0 "));
        assert!(svg.contains(r##"fill="#000000""##) && svg.contains(r##"fill="#ffffff""##));
        let lower = svg.to_lowercase();
        for forbidden in ["<script", "javascript:", "href", " on", "<?xml", "<foreignobject", "<image", "url("] {
            assert!(!lower.contains(forbidden), "{forbidden} in {svg}");
        }
        // The only address is the SVG namespace, which is a name, not a request.
        assert_eq!(lower.matches("http").count(), 1, "{svg}");
        assert!(svg.contains(r#"xmlns="http://www.w3.org/2000/svg""#));
    }

    #[test]
    fn the_view_box_is_the_code_plus_the_quiet_zone() {
        // "hello" fits version 1 (21 modules) at level M: 21 + 2 * 4 = 29.
        let svg = qr_svg("hello").unwrap();
        assert!(svg.contains(r#"viewBox="0 0 29 29""#), "{svg}");
        // The top-left finder pattern starts after the quiet zone, at (4, 4).
        assert!(svg.contains("M4 4"), "{svg}");
    }

    #[test]
    fn data_too_long_for_a_qr_code_is_an_error_not_a_panic() {
        let error = qr_svg(&"x".repeat(5000)).unwrap_err();
        assert!(matches!(error, AuthError::Qr(_)));
        assert!(error.to_string().starts_with("QR code: cannot encode the data"), "{error}");
    }

    #[test]
    fn markup_in_the_data_does_not_reach_the_svg() {
        let svg = qr_svg("<script>alert(1)</script>").unwrap();
        assert!(!svg.contains("<script"));
    }
}
