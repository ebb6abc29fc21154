package ui

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func TestRegisterRejectsBadPages(t *testing.T) {
	newC := func() app.Composer { return &Gallery{} }
	cases := []struct {
		p    Page
		want string
	}{
		{Page{Path: "ot", Title: "x", New: newC}, "one lower-case segment"},
		{Page{Path: "/", Title: "x", New: newC}, "one lower-case segment"},
		{Page{Path: "/a/b", Title: "x", New: newC}, "one lower-case segment"},
		{Page{Path: "/OT", Title: "x", New: newC}, "one lower-case segment"},
		{Page{Path: "/embed", Title: "x", New: newC}, "reserved"},
		{Page{Path: "/zz", New: newC}, "Title is required"},
		{Page{Path: "/zz", Title: "x"}, "New is required"},
		{Page{Path: CheckPath, Title: "again", New: newC}, "registered twice"},
		{Page{Path: "/zz", Title: "x", New: newC, Schema: Schema{{Name: "n", Kind: KindInt, Default: "9", Max: 1}}}, "outside"},
	}
	for _, c := range cases {
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(r.(string), c.want) {
					t.Errorf("Register(%+v) panic %v, want %q", c.p.Path, r, c.want)
				}
			}()
			Register(c.p)
		}()
	}
	if _, ok := Lookup("/zz"); ok {
		t.Error("a rejected page was registered")
	}
}

func TestLookupAndEmbed(t *testing.T) {
	for _, path := range []string{CheckPath, EmbedPrefix + CheckPath} {
		p, ok := Lookup(path)
		if !ok || p.Path != CheckPath || p.New == nil {
			t.Errorf("Lookup(%q) = %+v, %v", path, p.Path, ok)
		}
	}
	if _, ok := Lookup("/nope"); ok {
		t.Error("Lookup(/nope) found a page")
	}
	for path, want := range map[string]bool{"/embed/check": true, "/check": false, "/embed": false, "/embedded/x": false} {
		if got := IsEmbed(&url.URL{Path: path}); got != want {
			t.Errorf("IsEmbed(%s) = %v", path, got)
		}
	}
	paths := RoutePaths()
	for _, want := range []string{"/", CheckPath, "/embed" + CheckPath} {
		if !slices.Contains(paths, want) {
			t.Errorf("RoutePaths() = %v lacks %s", paths, want)
		}
	}
}
