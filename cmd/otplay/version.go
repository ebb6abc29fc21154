package main

// version is otplay's version, set at build time with
// -ldflags "-X main.version=...".
var version = "dev"
