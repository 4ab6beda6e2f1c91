package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// markup is what a string literal holding XML looks like: an element's start
// or end, or a namespace declaration.
var markup = regexp.MustCompile(`<[A-Za-z/]|xmlns=`)

// The domain decides and the edges write: no package of the domain imports
// encoding/xml or holds markup in a string literal (tests may).
func TestDomainBuildsNoMarkup(t *testing.T) {
	for _, pkg := range []string{"sessions", "muc", "routing"} {
		files, err := filepath.Glob(filepath.Join("..", "..", pkg, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("no Go files in %s", pkg)
		}
		fset := token.NewFileSet()
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range file.Imports {
				if p, _ := strconv.Unquote(imp.Path.Value); p == "encoding/xml" {
					t.Errorf("%s imports encoding/xml", f)
				}
			}
			ast.Inspect(file, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err == nil && markup.MatchString(s) {
					t.Errorf("%s: markup in a string literal: %s", fset.Position(lit.Pos()), lit.Value)
				}
				return true
			})
		}
	}
}

// The check above finds what it looks for.
func TestMarkupPattern(t *testing.T) {
	for s, want := range map[string]bool{
		`<event type="x"/>`: true, `</body>`: true, `a xmlns="urn:x" b`: true,
		"a < b": false, "1<2": false, "<-": false, "Queues and agents": false,
	} {
		if got := markup.MatchString(s); got != want {
			t.Errorf("markup(%q) = %v, want %v", s, got, want)
		}
	}
}
