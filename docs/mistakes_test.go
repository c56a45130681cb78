package docs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDocsListEveryKnownMistake keeps the guides in step with the mistake
// proof: every wrong solution kept in .ci/mistakes/ is named, with the
// tests that catch it, in docs/exercises.md and docs/pitfalls.md, and
// neither names a patch that is not there.
func TestDocsListEveryKnownMistake(t *testing.T) {
	patches, err := filepath.Glob(filepath.Join("..", ".ci", "mistakes", "*.patch"))
	require.NoError(t, err)
	require.NotEmpty(t, patches, "the mistake proof keeps its patches in .ci/mistakes/")
	for _, guide := range []string{"exercises.md", "pitfalls.md"} {
		text, err := os.ReadFile(guide)
		require.NoError(t, err)
		for _, p := range patches {
			assert.Contains(t, string(text), filepath.Base(p), "docs/%s does not list %s", guide, filepath.Base(p))
		}
		words := strings.FieldsFunc(string(text), func(r rune) bool { return strings.ContainsRune(" \n`[]()|,;:/", r) })
		for _, name := range words {
			if strings.HasSuffix(name, ".patch") && !strings.Contains(name, "NN-") { // NN-what-goes-wrong.patch is the pattern
				_, err := os.Stat(filepath.Join("..", ".ci", "mistakes", filepath.Base(name)))
				assert.NoError(t, err, "docs/%s names %s, which is not in .ci/mistakes/", guide, name)
			}
		}
	}
}
