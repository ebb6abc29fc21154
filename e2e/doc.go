// Package e2e holds otplay's end-to-end tests: the real wasm, served by
// the real server, run in headless Chromium with WebGPU (SwiftShader, a
// CPU implementation of WebGPU) and driven through chromedp from go test,
// with no Node toolchain.
//
// The tests build ./wasm once into a temporary web root (or copy the one
// named by $OTPLAY_WASM, with its .gz if present, as make test does),
// copy the icons and style sheet of web/ beside it, start server.New on
// 127.0.0.1:0, and
// share one browser between tests, one tab each. The heaviest tests run
// side by side after the others, a tab per part, two at a time on 2 cores
// (t.Parallel: TestToursLoadAndCompute a page a tab,
// TestReaderSeesPictureFirst a width a tab, TestBarycenterPage's three
// cases, TestValidatePageWebGPU; TestDiffusionPageTraining's two backends
// side by side in place): a tab computing on the one-thread wasm CPU
// keeps about one core busy. Every page load collects
// the browser console: any console.error, uncaught exception, unhandled
// rejection or browser-log error (a 404, a CSP violation) fails the test.
//
// Browser: $OTPLAY_CHROMIUM, else /usr/lib/chromium/chromium, else
// chromium or chromium-browser on $PATH. Without one the tests skip,
// unless CI is set (CI=true, as on CI services) or OTPLAY_REQUIRE_BROWSER=1,
// where a missing browser is a failure.
//
// Two tests run the otplay binary itself, built from ../web/app.wasm.gz
// (make wasm) with the playground tag: TestStaticSite exports the site
// with and without --base /repo/ and serves it with python3 -m
// http.server, a plain static host; TestDesktopApp builds with the
// webview tag too and runs otplay app on a virtual display (Xvfb), reading
// the screen from Xvfb's framebuffer file. Missing tools skip them, or fail
// them under OTPLAY_REQUIRE_BROWSER=1.
//
// Screenshots: with $OTPLAY_SCREENSHOTS naming a folder, the tests write
// what they saw there, one PNG per page and width, PAGE-WIDTH.png:
// TestReaderSeesPictureFirst every page with a main view at 390 and 1280
// px after its first result ("ot-390.png"), TestPhoneWidth the home page
// ("home-390.png"), TestValidatePageWebGPU /validate at both widths; the
// pages' own tests add their controls' pictures as PAGE-WHAT-WIDTH.png
// ("ot-map-390.png", "bridge-momentum-1280.png", "sliced-max-390.png",
// "diffusion-guidance-form-390.png", "barycenter-cpu-1280.png"). Without
// the variable no screenshot is taken.
//
// Run: go test ./e2e/ (make e2e), about 6 minutes on the 2-core
// development VM (352 and 394 s at load averages 5-6, 2026-12-06).
package e2e
