package httpapi_test

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoStoreImports: the native API and every dialect read through the
// read service they are given, never the store. The check is on the
// packages' own (non-test) imports: their tests may build a store.
func TestNoStoreImports(t *testing.T) {
	t.Parallel()
	const storePkg = "github.com/auditkeep/auditkeep/internal/store"
	dirs := []string{"."}
	compat, err := filepath.Glob("../compat/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range compat {
		if filepath.Base(d) != "compattest" { // test support builds stores
			dirs = append(dirs, d)
		}
	}
	if len(dirs) < 6 {
		t.Fatalf("found only %v: the dialects moved?", dirs)
	}
	for _, dir := range dirs {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, imp := range pkg.Imports {
			if imp == storePkg || strings.HasPrefix(imp, storePkg+"/") {
				t.Errorf("%s imports %s: surfaces read through query.Service", pkg.ImportPath, imp)
			}
		}
	}
}
