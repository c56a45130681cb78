package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDocsShowTheCodeAsItIs keeps this chapter's page in docs/ honest: each
// ```go block must be preceded by a marker line naming where it comes from,
//
//	<!-- code: 03-handshake/handshake.go -->
//
// and must then appear in that file exactly as shown. A block that is not
// from the code (a sketch of what not to do) says so with
// <!-- illustration -->.
func TestDocsShowTheCodeAsItIs(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	chapter := filepath.Base(wd)
	page, err := os.ReadFile(filepath.Join("..", "docs", chapter+".md"))
	require.NoError(t, err, "every chapter has its page in docs/")

	lines := strings.Split(string(page), "\n")
	shown := 0
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```go" {
			continue
		}
		start := i + 1
		end := start
		for end < len(lines) && strings.TrimSpace(lines[end]) != "```" {
			end++
		}
		require.Less(t, end, len(lines), "docs/%s.md:%d: unclosed code block", chapter, i+1)
		block := strings.Join(lines[start:end], "\n")
		marker := ""
		for j := i - 1; j >= 0; j-- {
			if strings.TrimSpace(lines[j]) != "" {
				marker = strings.TrimSpace(lines[j])
				break
			}
		}
		i = end
		switch {
		case marker == "<!-- illustration -->":
		case strings.HasPrefix(marker, "<!-- code: ") && strings.HasSuffix(marker, " -->"):
			path := strings.TrimSuffix(strings.TrimPrefix(marker, "<!-- code: "), " -->")
			src, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(path)))
			if assert.NoError(t, err, "docs/%s.md:%d names a file that does not exist", chapter, start) {
				if !strings.Contains(string(src), block) {
					line, text := firstLineNotIn(string(src), lines[start:end])
					t.Errorf("docs/%s.md:%d: the block is not in %s as shown; from docs/%s.md:%d on it differs:\n\t%s",
						chapter, start, path, chapter, start+line, text)
				}
				shown++
			}
		default:
			t.Errorf("docs/%s.md:%d: a go block without <!-- code: path --> or <!-- illustration --> before it", chapter, start)
		}
	}
	assert.NotZero(t, shown, "the page shows the chapter's code")
}

// firstLineNotIn returns the index and text of the first line of block at
// which it stops matching src (the longest prefix of block found in src),
// so a failure names one line instead of printing the whole block.
func firstLineNotIn(src string, block []string) (int, string) {
	for n := 1; n <= len(block); n++ {
		if !strings.Contains(src, strings.Join(block[:n], "\n")) {
			return n, block[n-1]
		}
	}
	return len(block), ""
}
