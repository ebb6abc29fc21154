//go:build !js

package ui

import "errors"

// readUploadedFile outside a browser: there are no file inputs.
func readUploadedFile(inputID string, limit int) ([]byte, string, error) {
	return nil, "", errors.New("file upload needs a browser")
}

// saveDataURL outside a browser records the download.
func saveDataURL(name, url string) {
	lastDownload.name, lastDownload.mime, lastDownload.text = name, "", url
}
