package main

import (
	"testing"

	"github.com/kvkit/kvkit/internal/clidoc"
	"github.com/kvkit/kvkit/internal/testutil"
)

// TestDocs fails when man/ or completions/ no longer match the flags;
// 'make man completions' regenerates them.
func TestDocs(t *testing.T) { clidoc.Check(t, App(), testutil.RepoRoot(t)) }
