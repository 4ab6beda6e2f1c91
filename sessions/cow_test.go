package sessions

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// Every write to a session's four maps goes through cow.go's setters: a
// write that bypassed them would not be copied into the checkpoint first,
// and a panic after it would leave it behind. restore.go fills sessions it
// has just made, outside any input.
func TestMapWritesGoThroughTheSetters(t *testing.T) {
	tracked := map[string]bool{"agents": true, "offered": true, "invited": true, "nicks": true}
	allowed := map[string]bool{"cow.go": true, "isolate.go": true, "restore.go": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	isField := func(e ast.Expr) (string, bool) {
		if ix, ok := e.(*ast.IndexExpr); ok {
			e = ix.X
		}
		sel, ok := e.(*ast.SelectorExpr)
		if !ok || !tracked[sel.Sel.Name] {
			return "", false
		}
		return sel.Sel.Name, true
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || allowed[name] {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch v := n.(type) {
			case *ast.AssignStmt:
				for _, l := range v.Lhs {
					if m, ok := isField(l); ok {
						t.Errorf("%s: writes s.%s directly; use a setter of cow.go", fset.Position(v.Pos()), m)
					}
				}
			case *ast.IncDecStmt:
				if m, ok := isField(v.X); ok {
					t.Errorf("%s: writes s.%s directly; use a setter of cow.go", fset.Position(v.Pos()), m)
				}
			case *ast.CallExpr:
				if id, ok := v.Fun.(*ast.Ident); ok && (id.Name == "delete" || id.Name == "clear") && len(v.Args) > 0 {
					if m, ok := isField(v.Args[0]); ok {
						t.Errorf("%s: %s on s.%s directly; use a setter of cow.go", fset.Position(v.Pos()), id.Name, m)
					}
				}
			}
			return true
		})
	}
}
