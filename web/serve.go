package web

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
)

// ReadOnly starts the answer of a handler that serves only GET and HEAD
// (the widget here, the agent console in web/agent): any other method is
// answered 405 with Allow, and false returned; otherwise the headers every
// answer carries are set and true returned.
func ReadOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return false
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	return true
}

// Manifest reads dist/manifest.json of an embedded build (the widget's here,
// the console's in web/agent): the name of each entry point's hashed file.
// owner starts the error messages; dir is where npm run build makes it.
func Manifest(fsys fs.FS, owner, dir string) (map[string]string, error) {
	raw, err := fs.ReadFile(fsys, "dist/manifest.json")
	if err != nil {
		return nil, fmt.Errorf("%s: the embedded build has no manifest (run npm run build in %s): %w", owner, dir, err)
	}
	var manifest map[string]string
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return nil, fmt.Errorf("%s: manifest: %w", owner, err)
	}
	return manifest, nil
}
