package docs_test

// The pages show many commands; this file checks that each one names
// things that exist. A command is a line in a ```sh, ```bash, ```shell,
// ```console or untagged fenced block, or in a 4-space-indented block, or
// an inline `go run|test|build|vet ...`. In a block with `$ ` prompts only
// the prompted lines are commands (the rest is output); a block without
// prompts counts as commands when its first line starts with a command.

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDocsCommandsNameWhatExists checks every command shown in README.md,
// docs/*.md and the chapters' README.md: the packages a go command names
// exist, `go run` passes only flags the program defines, -run/-bench/-fuzz
// patterns match a test, and any other program is a basic shell command or
// one of README.md's "## Optional tools".
func TestDocsCommandsNameWhatExists(t *testing.T) {
	root := ".."
	files := docFiles(t, root)
	c := newChecker(root)
	var problems []string
	tools, err := optionalTools(filepath.Join(root, "README.md"))
	if err != nil {
		problems = append(problems, strings.ReplaceAll(err.Error(), filepath.Join(root, "README.md"), "README.md"))
	}
	c.tools = tools
	for _, file := range files {
		content, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
		require.NoError(t, err)
		problems = append(problems, c.checkFile(file, string(content))...)
	}
	report(t, problems)
}

// docFiles lists the pages, relative to root, with forward slashes.
func docFiles(t *testing.T, root string) []string {
	t.Helper()
	files := []string{"README.md"}
	for _, pattern := range []string{"docs/*.md", "[0-9][0-9]-*/README.md"} {
		matches, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(pattern)))
		require.NoError(t, err)
		for _, m := range matches {
			rel, err := filepath.Rel(root, m)
			require.NoError(t, err)
			files = append(files, filepath.ToSlash(rel))
		}
	}
	require.Greater(t, len(files), 3, "the pages are where this test expects them")
	return files
}

// report fails the test once per problem, and keeps it to a screen.
func report(t *testing.T, problems []string) {
	t.Helper()
	const most = 25 // two lines each
	for i, p := range problems {
		if i == most-1 && len(problems) > most {
			t.Errorf("... and %d more problems", len(problems)-i)
			return
		}
		t.Error(p)
	}
}

// ---- Finding the commands in a page ----

// shownCommand is one command line as a page shows it.
type shownCommand struct {
	file   string   // relative to the repository root
	line   int      // 1-based
	text   string   // without the `$ ` prompt, continuation lines joined
	simple [][]word // text cut into simple commands (split at | && ; &)
}

// word is one shell word: raw as written, val once quotes are removed.
type word struct{ raw, val string }

// codeBlock is a fenced or indented block of a page.
type codeBlock struct {
	tag   string   // after the ``` ("" for untagged and indented blocks)
	fixed bool     // tagged sh, bash or shell: every line is a command
	first int      // 0-based index of its first line in the page
	lines []string // without the fence lines, indentation removed
}

// extractCommands returns the commands of a page. isCommand says whether a
// program name is known, to tell a block of commands from a block of output
// or a diagram when the block has no prompts.
func extractCommands(file, content string, isCommand func(string) bool) []shownCommand {
	lines := strings.Split(content, "\n")
	blocks, inCode := codeBlocks(lines)
	var cmds []shownCommand
	for _, b := range blocks {
		cmds = append(cmds, b.commands(file, isCommand)...)
	}
	return append(cmds, inlineCommands(file, lines, inCode)...)
}

// codeBlocks finds the fenced blocks (any tag) and the indented blocks of a
// page, and marks which lines belong to one.
func codeBlocks(lines []string) ([]codeBlock, []bool) {
	var blocks []codeBlock
	inCode := make([]bool, len(lines))
	for i := 0; i < len(lines); i++ {
		trimmed := strings.TrimLeft(lines[i], " ")
		indent := len(lines[i]) - len(trimmed)
		switch {
		case strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~"):
			fence := trimmed[:3]
			tag := strings.Fields(strings.TrimLeft(trimmed, fence[:1]) + " ")
			b := codeBlock{first: i + 1}
			if len(tag) > 0 {
				b.tag = strings.ToLower(tag[0])
			}
			b.fixed = b.tag == "sh" || b.tag == "bash" || b.tag == "shell"
			inCode[i] = true
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimLeft(lines[i], " "), fence); i++ {
				b.lines = append(b.lines, dedent(lines[i], indent))
				inCode[i] = true
			}
			if i < len(lines) {
				inCode[i] = true
			}
			blocks = append(blocks, b)
		case indent >= 4 && strings.TrimSpace(trimmed) != "" && (i == 0 || strings.TrimSpace(lines[i-1]) == ""):
			b := codeBlock{first: i}
			for ; i < len(lines) && (strings.HasPrefix(lines[i], "    ") || strings.TrimSpace(lines[i]) == ""); i++ {
				b.lines = append(b.lines, strings.TrimLeft(lines[i], " "))
				inCode[i] = true
			}
			i--
			blocks = append(blocks, b)
		}
	}
	return blocks, inCode
}

// dedent removes up to n leading spaces, the indentation of a fence.
func dedent(line string, n int) string {
	for n > 0 && strings.HasPrefix(line, " ") {
		line, n = line[1:], n-1
	}
	return line
}

// commands returns the block's commands, or none if it is not shell.
func (b codeBlock) commands(file string, isCommand func(string) bool) []shownCommand {
	if !b.fixed && b.tag != "" && b.tag != "console" {
		return nil // go, html, http, text...
	}
	prompted := slices.ContainsFunc(b.lines, func(l string) bool { return strings.HasPrefix(l, "$ ") })
	if !b.fixed && !prompted && !startsWithCommand(b.lines, isCommand) {
		return nil // output, a diagram, hex bytes
	}
	var cmds []shownCommand
	for i := 0; i < len(b.lines); i++ {
		text := b.lines[i]
		if prompted {
			var ok bool
			if text, ok = strings.CutPrefix(text, "$ "); !ok {
				continue
			}
		}
		if s := strings.TrimSpace(text); s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		cmd := shownCommand{file: file, line: b.first + i + 1}
		i = joinLines(&cmd, text, b.lines, i)
		cmds = append(cmds, cmd)
	}
	return cmds
}

// joinLines lexes the command starting at lines[i] (as text), joining the
// lines that follow while it is not complete (a trailing \, an open quote),
// and skips here-document bodies. It returns the index of the last line
// used.
func joinLines(cmd *shownCommand, text string, lines []string, i int) int {
	lx := lexShell(text)
	for lx.incomplete && i+1 < len(lines) {
		i++
		text += "\n" + lines[i]
		lx = lexShell(text)
	}
	for _, delim := range lx.heredocs {
		for i+1 < len(lines) {
			i++
			if strings.TrimSpace(lines[i]) == delim {
				break
			}
		}
	}
	cmd.text, cmd.simple = text, lx.commands
	return i
}

// startsWithCommand says whether the first line of a block without prompts
// starts with a program name.
func startsWithCommand(lines []string, isCommand func(string) bool) bool {
	for _, l := range lines {
		if s := strings.TrimSpace(l); s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		lx := lexShell(l)
		if len(lx.commands) == 0 {
			return false
		}
		ws, _ := commandWords(lx.commands[0])
		return len(ws) == 0 || isCommand(ws[0].val)
	}
	return false
}

var inlineGoCommand = regexp.MustCompile("`((?:[A-Za-z_][A-Za-z0-9_]*=\\S*\\s+)*go\\s+(?:run|test|build|vet)\\b[^`]*)`")

// inlineCommands finds `go run|test|build|vet ...` in the prose, also
// when the span goes on over a line break.
func inlineCommands(file string, lines []string, inCode []bool) []shownCommand {
	var cmds []shownCommand
	for start := 0; start < len(lines); {
		end := start
		for end < len(lines) && !inCode[end] && strings.TrimSpace(lines[end]) != "" {
			end++ // a paragraph: lines[start:end]
		}
		para := strings.Join(lines[start:end], "\n")
		for _, m := range inlineGoCommand.FindAllStringSubmatchIndex(para, -1) {
			text := strings.ReplaceAll(para[m[2]:m[3]], "\n", " ")
			cmds = append(cmds, shownCommand{file: file, line: start + 1 + strings.Count(para[:m[0]], "\n"),
				text: text, simple: lexShell(text).commands})
		}
		start = max(end, start+1)
	}
	return cmds
}

// ---- Cutting a command line into words ----

// lexed is a shell command line cut into simple commands.
type lexed struct {
	commands   [][]word
	heredocs   []string // delimiters of << here-documents, in order
	incomplete bool     // it ends in \ or inside quotes: the next line belongs to it
}

// lexShell cuts a command line into simple commands at | || && ; & ( ) and
// newlines, removes redirections (2>&1, >file, <<EOF) and comments, and
// keeps quoted text (-run 'A|B') in one word. It knows enough of the shell
// for the pages, not all of it.
func lexShell(s string) lexed {
	lx := &lexer{s: s}
	for lx.i < len(s) {
		lx.step()
		if lx.out.incomplete {
			break
		}
	}
	lx.endCommand()
	return lx.out
}

type lexer struct {
	s        string
	i        int
	out      lexed
	cmd      []word
	cur      word
	inWord   bool
	redirect string // "<<" or ">" while the next word is a redirection's target
}

func (lx *lexer) step() {
	s, c := lx.s, lx.s[lx.i]
	switch {
	case c == ' ' || c == '\t':
		lx.endWord()
		lx.i++
	case c == '\n' || c == ';' || c == ')' || c == '|' || (c == '&' && !lx.next(">")):
		lx.endCommand()
		lx.i++
		if (c == '|' || c == '&') && lx.i < len(s) && s[lx.i] == c {
			lx.i++ // || and &&
		}
	case c == '(' && lx.inWord && lx.next(")"):
		lx.add("()", "()", 2) // name() { ...: a function definition
	case c == '(':
		lx.endCommand() // a subshell
		lx.i++
	case c == '#' && !lx.inWord:
		for lx.i < len(s) && s[lx.i] != '\n' {
			lx.i++
		}
	case c == '<' || c == '>' || c == '&':
		lx.startRedirect()
	default:
		lx.wordPart()
	}
}

// next says whether what follows the current byte starts with prefix.
func (lx *lexer) next(prefix string) bool {
	return strings.HasPrefix(lx.s[lx.i+1:], prefix)
}

func (lx *lexer) add(raw, val string, n int) {
	lx.cur.raw += raw
	lx.cur.val += val
	lx.inWord = true
	lx.i += n
}

func (lx *lexer) endWord() {
	if !lx.inWord {
		return
	}
	switch lx.redirect {
	case "":
		lx.cmd = append(lx.cmd, lx.cur)
	case "<<":
		lx.out.heredocs = append(lx.out.heredocs, lx.cur.val)
	}
	lx.redirect, lx.cur, lx.inWord = "", word{}, false
}

func (lx *lexer) endCommand() {
	lx.endWord()
	if len(lx.cmd) > 0 {
		lx.out.commands = append(lx.out.commands, lx.cmd)
	}
	lx.cmd = nil
}

// startRedirect reads a redirection operator (> >> 2> &> >&2 < << <<- <<<);
// its target, the next word, is dropped (or kept as a here-document's
// delimiter).
func (lx *lexer) startRedirect() {
	if lx.inWord && strings.Trim(lx.cur.raw, "0123456789") == "" {
		lx.cur, lx.inWord = word{}, false // the 2 of 2>
	}
	lx.endWord()
	start := lx.i
	for lx.i < len(lx.s) && strings.IndexByte("<>&-|", lx.s[lx.i]) >= 0 && lx.i-start < 3 {
		lx.i++
	}
	op := lx.s[start:lx.i]
	lx.redirect = ">"
	if strings.HasPrefix(op, "<<") && op != "<<<" {
		lx.redirect = "<<"
	}
	for lx.i < len(lx.s) && lx.s[lx.i] == ' ' {
		lx.i++
	}
}

// wordPart reads one piece of a word: a quoted string, an escaped byte, a
// $( ... ) substitution, or a plain byte.
func (lx *lexer) wordPart() {
	s, i := lx.s, lx.i
	switch {
	case s[i] == '\\' && i+1 < len(s) && s[i+1] == '\n':
		lx.i += 2 // a line continuation
	case s[i] == '\\' && i+1 < len(s):
		lx.add(s[i:i+2], s[i+1:i+2], 2)
	case s[i] == '\\':
		lx.out.incomplete = true // the line goes on below
		lx.i++
	case s[i] == '\'':
		end := strings.IndexByte(s[i+1:], '\'')
		if end < 0 {
			lx.out.incomplete = true
			lx.i = len(s)
			return
		}
		lx.add(s[i:i+end+2], s[i+1:i+1+end], end+2)
	case s[i] == '"':
		lx.doubleQuoted()
	case strings.HasPrefix(s[i:], "$("):
		lx.substitution()
	default:
		lx.add(s[i:i+1], s[i:i+1], 1)
	}
}

// doubleQuoted reads "...", where \ escapes only $ ` " \ and newline.
func (lx *lexer) doubleQuoted() {
	s, start := lx.s, lx.i
	var val strings.Builder
	for i := start + 1; i < len(s); i++ {
		switch {
		case s[i] == '"':
			lx.add(s[start:i+1], val.String(), i+1-start)
			return
		case s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0:
			val.WriteByte(s[i+1])
			i++
		default:
			val.WriteByte(s[i])
		}
	}
	lx.out.incomplete = true
	lx.i = len(s)
}

// substitution reads $( ... ) as part of the word; its commands are not
// checked.
func (lx *lexer) substitution() {
	s, start, depth := lx.s, lx.i, 0
	for i := start + 1; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				lx.add(s[start:i+1], s[start:i+1], i+1-start)
				return
			}
		case '\'':
			if end := strings.IndexByte(s[i+1:], '\''); end >= 0 {
				i += end + 1
			}
		}
	}
	lx.out.incomplete = true
	lx.i = len(s)
}

// commandWords strips what comes before the program's name: braces, shell
// keywords, a function definition's head (returned as defined), variable
// assignments, and wrappers such as time, timeout and env.
func commandWords(ws []word) (rest []word, defined string) {
	for len(ws) > 0 {
		v := ws[0].val
		switch {
		case prefixWords[v]:
			ws = ws[1:]
		case strings.HasSuffix(ws[0].raw, "()"):
			defined = strings.TrimSuffix(ws[0].raw, "()")
			ws = ws[1:]
		case assignment.MatchString(ws[0].raw):
			ws = ws[1:]
		case v == "timeout" || v == "env":
			ws = ws[1:]
			for len(ws) > 0 && strings.HasPrefix(ws[0].val, "-") {
				ws = ws[1:]
			}
			if v == "timeout" && len(ws) > 0 {
				ws = ws[1:] // the duration
			}
		default:
			return ws, defined
		}
	}
	return ws, defined
}

var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// prefixWords come before a command without being one.
var prefixWords = setOf("{", "}", "!", "do", "then", "else", "elif", "if", "while", "until",
	"time", "nohup", "exec", "command", "sudo")

// basicCommands are the shell's own commands and the everyday tools of any
// Linux or macOS shell. A page may run anything else only if README.md
// lists it under "## Optional tools".
var basicCommands = setOf("go", "gofmt", "cd", "export", "unset", "set", "source", ".", "alias",
	"echo", "printf", "read", "test", "[", "true", "false", "exit", "wait", "jobs", "fg", "bg",
	"kill", "trap", "ulimit", "sleep", "for", "case", "done", "fi", "esac", "bash", "sh", "git",
	"diff", "ls", "cat", "head", "tail", "tr", "wc", "grep", "sed", "awk", "sort", "uniq", "cut",
	"tee", "xargs", "find", "od", "seq", "yes", "mktemp", "mkdir", "rm", "cp", "mv", "touch", "pwd",
	"ps", "pgrep", "pkill", "sha1sum", "base64", "dd", "uname", "nproc", "less", "which", "type")

func setOf(words ...string) map[string]bool {
	set := make(map[string]bool, len(words))
	for _, w := range words {
		set[w] = true
	}
	return set
}

// optionalTools reads the first column of the table in README.md's
// "## Optional tools": each `name` there.
func optionalTools(readme string) (map[string]bool, error) {
	content, err := os.ReadFile(readme)
	if err != nil {
		return nil, err
	}
	_, section, found := strings.Cut(string(content), "\n## Optional tools\n")
	if !found {
		return nil, fmt.Errorf("%s has no \"## Optional tools\" section listing the tools the pages use besides Go", readme)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	tools := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(cells[1], -1) {
			tools[strings.Fields(m[1])[0]] = true
		}
	}
	if len(tools) == 0 {
		return nil, fmt.Errorf("%s: \"## Optional tools\" has no table with `tool` names in its first column", readme)
	}
	return tools, nil
}

// ---- Checking the commands ----

// checker checks commands against the repository at root.
type checker struct {
	root  string
	tools map[string]bool
	pkgs  map[string]*pkgInfo // by directory, relative to root
}

func newChecker(root string) *checker {
	return &checker{root: root, pkgs: map[string]*pkgInfo{}}
}

// isCommand says whether name is a program the pages may run.
func (c *checker) isCommand(name string) bool {
	return basicCommands[name] || c.tools[name]
}

// pageScope is what a page itself defines: shell functions (headless() {
// ... }) and programs it builds (go build -o ws05).
type pageScope map[string]bool

// checkFile checks every command of one page.
func (c *checker) checkFile(file, content string) []string {
	cmds := extractCommands(file, content, c.isCommand)
	scope := pageScope{}
	for _, cmd := range cmds {
		for _, ws := range cmd.simple {
			rest, defined := commandWords(ws)
			if defined != "" {
				scope[defined] = true
			}
			if out := goBuildOutput(rest); out != "" {
				scope[out], scope["./"+out] = true, true
			}
		}
	}
	var problems []string
	for _, cmd := range cmds {
		for _, what := range c.check(cmd, scope) {
			problems = append(problems, fmt.Sprintf("%s:%d: %s\n\t%s", cmd.file, cmd.line, what, shorten(cmd.text)))
		}
	}
	return problems
}

// shorten keeps a command to one line of a screen.
func shorten(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) > 110 {
		text = string([]rune(text)[:107]) + "..."
	}
	return "$ " + text
}

// goBuildOutput returns NAME of `go build -o NAME ...`.
func goBuildOutput(ws []word) string {
	if len(ws) < 3 || ws[0].val != "go" || ws[1].val != "build" {
		return ""
	}
	for i, w := range ws[2:] {
		if v, ok := strings.CutPrefix(w.val, "-o="); ok {
			return v
		}
		if w.val == "-o" && i+3 < len(ws) {
			return ws[i+3].val
		}
	}
	return ""
}

// check returns what is wrong with one command line.
func (c *checker) check(cmd shownCommand, scope pageScope) []string {
	var problems []string
	for _, ws := range cmd.simple {
		ws, _ = commandWords(ws)
		if len(ws) == 0 {
			continue
		}
		if ws[0].val == "go" {
			problems = append(problems, c.checkGo(ws)...)
		} else {
			problems = append(problems, c.checkProgram(ws, scope)...)
		}
	}
	return problems
}

var chapterPath = regexp.MustCompile(`^(\./)?[0-9][0-9]-[a-z0-9-]+(/[^ ]*)?$`)

// checkProgram checks a command that is not go: the program is known, and
// the chapter folders and scripts it names exist.
func (c *checker) checkProgram(ws []word, scope pageScope) []string {
	name := ws[0].val
	var problems []string
	switch {
	case scope[name] || filepath.IsAbs(name):
	case strings.Contains(name, "/"):
		if !c.exists(name) {
			problems = append(problems, fmt.Sprintf("runs %s, which is not in the repository", name))
		}
	case !c.isCommand(name):
		problems = append(problems, fmt.Sprintf("runs %s, which is neither a basic shell command nor listed in README.md's \"## Optional tools\" (if this line is output, mark the commands above it with `$ `)", name))
	}
	for i, w := range ws[1:] {
		script := (name == "bash" || name == "sh") && i == 0 && !strings.HasPrefix(w.val, "-")
		if (script || chapterPath.MatchString(w.val)) && !strings.Contains(w.val, "$") && !c.exists(w.val) {
			problems = append(problems, fmt.Sprintf("%s names %s, which is not in the repository", name, w.val))
		}
	}
	return problems
}

// exists says whether a path relative to the root exists.
func (c *checker) exists(rel string) bool {
	_, err := os.Stat(filepath.Join(c.root, filepath.FromSlash(rel)))
	return err == nil
}

// goFlagsWithValue are the go command's flags that take a value (the
// others are booleans). After `go run ./X`, flags belong to the program.
var goFlagsWithValue = setOf("tags", "o", "run", "skip", "bench", "fuzz", "count", "timeout", "cpu",
	"fuzztime", "fuzzminimizetime", "benchtime", "p", "parallel", "shuffle", "list", "outputdir",
	"coverprofile", "covermode", "coverpkg", "cpuprofile", "memprofile", "memprofilerate",
	"blockprofile", "blockprofilerate", "mutexprofile", "mutexprofilefraction", "trace", "exec",
	"ldflags", "gcflags", "asmflags", "mod", "modfile", "C", "vet", "overlay", "pgo", "pkgdir",
	"toolexec", "buildmode", "compiler")

// goFlag is one flag given to the go command.
type goFlag struct {
	name string
	val  word // the value, as written and unquoted
}

// goInvocation is a go run|test|build|vet command taken apart.
type goInvocation struct {
	sub      string
	flags    []goFlag
	packages []string
	program  []word // go run: the program's own arguments
}

func parseGo(ws []word) goInvocation {
	inv := goInvocation{sub: ws[1].val}
	args := ws[2:]
	for i := 0; i < len(args); i++ {
		a := args[i].val
		if a == "-args" || a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			inv.packages = append(inv.packages, a)
			if inv.sub == "run" {
				inv.program = args[i+1:]
				break
			}
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := goFlag{name: name}
		if hasVal {
			_, raw, _ := strings.Cut(args[i].raw, "=")
			f.val = word{raw: raw, val: val}
		} else if goFlagsWithValue[name] && i+1 < len(args) {
			i++
			f.val = args[i]
		}
		inv.flags = append(inv.flags, f)
	}
	return inv
}

// checkGo checks a go run|test|build|vet command.
func (c *checker) checkGo(ws []word) []string {
	if len(ws) < 2 || !setOf("run", "test", "build", "vet")[ws[1].val] {
		return nil
	}
	inv := parseGo(ws)
	var problems, dirs []string
	for _, p := range inv.packages {
		found, problem := c.resolvePackage(p)
		if problem != "" {
			problems = append(problems, problem)
		}
		dirs = append(dirs, found...)
	}
	if inv.sub == "run" && len(dirs) == 1 {
		problems = append(problems, c.checkProgramFlags(dirs[0], inv.program)...)
	}
	if inv.sub == "test" {
		for _, f := range inv.flags {
			if kinds, ok := patternKinds[f.name]; ok {
				problems = append(problems, c.checkPattern(f, kinds, dirs)...)
			}
		}
	}
	return problems
}

// resolvePackage returns the directories (relative to root) a package
// argument stands for, or what is wrong with it. Arguments that are not
// local (std, other modules) and placeholders (./NN-name) are not checked.
func (c *checker) resolvePackage(arg string) ([]string, string) {
	if rest, ok := strings.CutPrefix(arg, "wsfromscratch"); ok && (rest == "" || strings.HasPrefix(rest, "/")) {
		arg = "." + rest
	}
	if !(arg == "." || strings.HasPrefix(arg, "./") || strings.HasPrefix(arg, "../")) || strings.Contains(arg, "NN") {
		return nil, ""
	}
	if strings.HasSuffix(arg, ".go") {
		if !c.exists(arg) {
			return nil, fmt.Sprintf("%s does not exist", arg)
		}
		return []string{path.Dir(path.Clean(arg))}, ""
	}
	base, recursive := strings.CutSuffix(arg, "/...")
	base = path.Clean(base)
	if info, err := os.Stat(filepath.Join(c.root, filepath.FromSlash(base))); err != nil || !info.IsDir() {
		return nil, fmt.Sprintf("%s is not a directory of the repository", arg)
	}
	dirs := []string{base}
	if recursive {
		dirs = c.packagesUnder(base)
	}
	dirs = slices.DeleteFunc(dirs, func(d string) bool { return !c.hasGoFiles(d) })
	if len(dirs) == 0 {
		return nil, fmt.Sprintf("%s holds no .go files", arg)
	}
	return dirs, ""
}

// packagesUnder lists base and every directory under it, the way ./...
// does: without testdata and folders starting with . or _.
func (c *checker) packagesUnder(base string) []string {
	var dirs []string
	filepath.WalkDir(filepath.Join(c.root, filepath.FromSlash(base)), func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		name := d.Name()
		rel, _ := filepath.Rel(c.root, p)
		if rel != "." && filepath.ToSlash(rel) != base && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		dirs = append(dirs, filepath.ToSlash(rel))
		return nil
	})
	return dirs
}

func (c *checker) hasGoFiles(dir string) bool {
	matches, _ := filepath.Glob(filepath.Join(c.root, filepath.FromSlash(dir), "*.go"))
	return len(matches) > 0
}

// checkProgramFlags checks the flags given to `go run ./dir`: each must be
// defined by the program, and must come before its first other argument,
// where Go's flag package stops reading flags.
func (c *checker) checkProgramFlags(dir string, args []word) []string {
	pkg := c.load(dir)
	var problems []string
	for i := 0; i < len(args); i++ {
		a := args[i].val
		if a == "--" || a == "-" || !strings.HasPrefix(a, "-") {
			for _, later := range args[i+1:] {
				if name := flagName(later.val); name != "" {
					if _, ok := pkg.flags[name]; ok {
						problems = append(problems, fmt.Sprintf("-%s comes after the argument %q, where Go's flag package has stopped reading flags: put flags first", name, a))
					}
				}
			}
			break
		}
		name := flagName(a)
		isBool, ok := pkg.flags[name]
		switch {
		case name == "h" || name == "help":
		case !ok:
			problems = append(problems, fmt.Sprintf("./%s has no flag -%s (it has %s)", dir, name, pkg.flagList()))
		case !isBool && !strings.Contains(a, "="):
			i++ // its value
		}
	}
	return problems
}

// flagName returns "addr" for -addr, --addr and -addr=x; "" for non-flags.
func flagName(a string) string {
	if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
		return ""
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
	return name
}

// patternKinds are the go test flags that take a pattern, and the kinds of
// top-level functions each pattern is matched against.
var patternKinds = map[string][]string{
	"run":   {"Test", "Fuzz", "Example"},
	"skip":  {"Test", "Fuzz", "Example"},
	"bench": {"Benchmark"},
	"fuzz":  {"Fuzz"},
}

// checkPattern checks a -run, -skip, -bench or -fuzz pattern: it compiles,
// and each of its alternatives matches a function of the packages.
func (c *checker) checkPattern(f goFlag, kinds []string, dirs []string) []string {
	pattern := f.val.val
	if strings.Contains(f.val.raw, `\|`) {
		return []string{fmt.Sprintf(`-%s %s: \| in a Go regexp is a literal |, so this matches no test; write | inside single quotes: -%s '%s'`,
			f.name, f.val.raw, f.name, strings.ReplaceAll(pattern, `\|`, "|"))}
	}
	if _, err := regexp.Compile(pattern); err != nil {
		return []string{fmt.Sprintf("-%s %s is not a Go regexp: %v", f.name, f.val.raw, err)}
	}
	if pattern == "^$" || len(dirs) == 0 {
		return nil // ^$ runs nothing on purpose
	}
	names := c.topLevelFuncs(dirs, kinds)
	var problems, matched []string
	for _, first := range firstElements(pattern) {
		re, err := regexp.Compile(first)
		if err != nil {
			problems = append(problems, fmt.Sprintf("-%s %s: %q is not a Go regexp: %v", f.name, f.val.raw, first, err))
			continue
		}
		hits := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return !re.MatchString(n) })
		if len(hits) == 0 {
			problems = append(problems, fmt.Sprintf("-%s %s: no %s function in %s matches %q",
				f.name, f.val.raw, strings.Join(kinds, "/"), describeDirs(dirs), first))
		}
		matched = append(matched, hits...)
	}
	slices.Sort(matched)
	if matched = slices.Compact(matched); f.name == "fuzz" && len(matched) > 1 {
		problems = append(problems, fmt.Sprintf("-fuzz %s matches %d fuzz targets (%s); go test fuzzes exactly one", f.val.raw, len(matched), strings.Join(matched, ", ")))
	}
	return problems
}

// describeDirs names the packages a pattern was matched against.
func describeDirs(dirs []string) string {
	if len(dirs) > 2 {
		return fmt.Sprintf("the %d packages", len(dirs))
	}
	return "./" + strings.Join(dirs, " ./")
}

// firstElements splits a go test pattern the way go test does: at each
// top-level | into alternatives, each at / into a top-level test's pattern
// and its subtests'. It returns the top-level element of each alternative.
func firstElements(pattern string) []string {
	var firsts []string
	brackets, parens, start, slash := 0, 0, 0, -1
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '[':
			brackets++
		case ']':
			brackets = max(brackets-1, 0)
		case '(':
			if brackets == 0 {
				parens++
			}
		case ')':
			if brackets == 0 {
				parens--
			}
		case '\\':
			i++
		case '/':
			if brackets == 0 && parens == 0 && slash < 0 {
				slash = i
			}
		case '|':
			if brackets == 0 && parens == 0 {
				firsts = append(firsts, firstOf(pattern, start, slash, i))
				start, slash = i+1, -1
			}
		}
	}
	return append(firsts, firstOf(pattern, start, slash, len(pattern)))
}

func firstOf(pattern string, start, slash, end int) string {
	if slash >= 0 {
		end = slash
	}
	return pattern[start:end]
}

// ---- What a package defines ----

// pkgInfo is what the checks need to know of one package.
type pkgInfo struct {
	flags map[string]bool // flag name: is it a boolean
	funcs []string        // top-level funcs of its _test.go files
}

func (p *pkgInfo) flagList() string {
	var names []string
	for name := range p.flags {
		names = append(names, "-"+name)
	}
	if len(names) == 0 {
		return "none"
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

// load parses the .go files of dir (relative to root), once.
func (c *checker) load(dir string) *pkgInfo {
	if p, ok := c.pkgs[dir]; ok {
		return p
	}
	p := &pkgInfo{flags: map[string]bool{}}
	c.pkgs[dir] = p
	files, _ := filepath.Glob(filepath.Join(c.root, filepath.FromSlash(dir), "*.go"))
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if f == nil && err != nil {
			continue // the chapter's own build will say what is wrong
		}
		if strings.HasSuffix(name, "_test.go") {
			p.funcs = append(p.funcs, topLevelFuncNames(f)...)
		} else {
			addFlags(f, p.flags)
		}
	}
	return p
}

func topLevelFuncNames(f *ast.File) []string {
	var names []string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil {
			names = append(names, fn.Name.Name)
		}
	}
	return names
}

// flagDefiners are the flag package's functions and FlagSet methods that
// define a flag; the name is their first argument, or the second for the
// ...Var forms.
var flagDefiners = setOf("String", "Bool", "Int", "Int64", "Uint", "Uint64", "Float64", "Duration",
	"Func", "BoolFunc", "Var", "TextVar", "StringVar", "BoolVar", "IntVar", "Int64Var", "UintVar",
	"Uint64Var", "Float64Var", "DurationVar")

// addFlags finds flag definitions, flag.String("addr", ...) or
// fs.BoolVar(&x, "trace", ...), and records name and whether it is a bool.
func addFlags(f *ast.File, flags map[string]bool) {
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) < 3 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || !flagDefiners[sel.Sel.Name] {
			return true
		}
		arg := call.Args[0]
		if strings.HasSuffix(sel.Sel.Name, "Var") {
			arg = call.Args[1]
		}
		if lit, ok := arg.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if name, err := strconv.Unquote(lit.Value); err == nil {
				flags[name] = strings.HasPrefix(sel.Sel.Name, "Bool")
			}
		}
		return true
	})
}

// topLevelFuncs lists the functions of the given kinds (Test, Benchmark,
// ...) in the _test.go files of dirs.
func (c *checker) topLevelFuncs(dirs []string, kinds []string) []string {
	var names []string
	for _, dir := range dirs {
		for _, name := range c.load(dir).funcs {
			if slices.ContainsFunc(kinds, func(k string) bool { return isTestFunc(name, k) }) {
				names = append(names, name)
			}
		}
	}
	return names
}

// isTestFunc says whether name is a kind function as go test sees it:
// TestX, Test, not Testing (the letter after the prefix is not lower case).
func isTestFunc(name, kind string) bool {
	rest, ok := strings.CutPrefix(name, kind)
	if !ok || name == "TestMain" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return rest == "" || !unicode.IsLower(r)
}

// ---- The checker's own tests ----

// fakeRepo builds a tiny repository: a README with optional tools, a
// program with flags, and its tests.
func fakeRepo(t *testing.T) *checker {
	t.Helper()
	root := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	write("README.md", "# fake\n\n## Optional tools\n\n| tool | for | package |\n| --- | --- | --- |\n| `nc` | raw bytes | netcat-openbsd |\n\n## Credits\n")
	write("01-srv/main.go", `package main

import "flag"

func main() {
	addr := flag.String("addr", "localhost:9001", "where")
	fs := flag.NewFlagSet("x", flag.ExitOnError)
	var trace bool
	fs.BoolVar(&trace, "trace", false, "print frames")
	_ = addr
}
`)
	write("01-srv/srv_test.go", `package main

import "testing"

func TestServerEchoes(t *testing.T)       {}
func TestBrowserOpensAWebSocket(t *testing.T) {}
func FuzzReadFrame(f *testing.F)          {}
func FuzzReadRequest(f *testing.F)        {}
func BenchmarkEcho(b *testing.B)          {}
func Testing(t *testing.T)                {}
`)
	write(".ci/run", "#!/bin/sh\n")
	c := newChecker(root)
	tools, err := optionalTools(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	c.tools = tools
	return c
}

func TestCheckerFindsWhatIsMissing(t *testing.T) {
	c := fakeRepo(t)
	tests := []struct {
		name    string
		command string
		want    string // in the one problem expected; "" for none
	}{
		{"a chapter run with its flags is fine", "go run ./01-srv -addr :9001 -trace", ""},
		{"flags with = and a bool are fine", "go run -tags exercise ./01-srv -trace -addr=:1 -h", ""},
		{"tests with | in single quotes are fine", "go test -count=1 -v -run 'TestServer|TestBrowser' ./01-srv", ""},
		{"-run= with a subtest is fine", `go test -run="TestServerEchoes/with spaces" ./01-srv/...`, ""},
		{"a fuzz target alone is fine", "go test -run '^$' -fuzz FuzzReadFrame -fuzztime 10s ./01-srv", ""},
		{"env, &&, | and & are understood", "GOFLAGS=-tags=exercise go test ./... && go vet ./01-srv | nc localhost 9001 2>&1 &", ""},
		{"a script of the repository is fine", "bash .ci/run # the CI", ""},
		{`\| in a -run pattern is an error`, `go test -run 'TestServer\|TestBrowser' ./01-srv`, `write | inside single quotes: -run 'TestServer|TestBrowser'`},
		{"a pattern that matches nothing is an error", "go test -run TestNothing ./01-srv", `no Test/Fuzz/Example function in ./01-srv matches "TestNothing"`},
		{"each alternative must match", "go test -run 'TestServer|TestBrowzer' ./01-srv", `matches "TestBrowzer"`},
		{"Testing is not a test", "go test -run Testing ./01-srv", `matches "Testing"`},
		{"-bench looks at benchmarks only", "go test -bench Server ./01-srv", `no Benchmark function`},
		{"-fuzz must pick one target", "go test -fuzz Fuzz ./01-srv", "matches 2 fuzz targets"},
		{"a bad regexp is an error", "go test -run 'Test(' ./01-srv", "not a Go regexp"},
		{"a flag the program lacks is an error", "go run ./01-srv -verbose", "./01-srv has no flag -verbose (it has -addr -trace)"},
		{"a flag after an argument is an error", "go run ./01-srv localhost -trace", "-trace comes after the argument"},
		{"a missing chapter is an error", "go test ./06-chat", "./06-chat is not a directory"},
		{"a tool not listed is an error", "echo hi | socat - TCP:localhost:9001", "runs socat"},
		{"a missing chapter in diff is an error", "diff -ru 01-srv 02-next", "diff names 02-next"},
		{"a missing script is an error", "bash .ci/nope", "bash names .ci/nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := shownCommand{file: "page.md", line: 1, text: tt.command, simple: lexShell(tt.command).commands}
			problems := c.check(cmd, pageScope{})
			if tt.want == "" {
				assert.Empty(t, problems)
				return
			}
			if assert.Len(t, problems, 1) {
				assert.Contains(t, problems[0], tt.want)
			}
		})
	}
}

func TestExtractCommandsTellsCommandsFromOutput(t *testing.T) {
	page := "# A page\n" + // 1
		"\n" + // 2
		"```console\n" + // 3
		"$ go run ./01-srv \\\n" + // 4
		"    -trace\n" + // 5
		"13:00:00 listening\n" + // 6
		"$ python3 - <<'EOF'\n" + // 7
		"$ not a command, inside the here-document\n" + // 8
		"EOF\n" + // 9
		"```\n" + // 10
		"\n" + // 11
		"```\n" + // 12
		"  +---- a diagram ----+\n" + // 13
		"```\n" + // 14
		"\n" + // 15
		"```\n" + // 16
		"go test ./01-srv     # a comment\n" + // 17
		"```\n" + // 18
		"\n" + // 19
		"Run `go vet ./01-srv` first, then `ls`.\n" + // 20
		"\n" + // 21
		"    export GOFLAGS=-tags=exercise\n" + // 22
		"```go\n" + // 23
		"// go test ./not/a/command\n" + // 24
		"```\n" + // 25
		"A span may go on over a line break: `go test\n" + // 26
		"-run TestServer ./01-srv`.\n" // 27
	c := fakeRepo(t)
	var got []string
	for _, cmd := range extractCommands("page.md", page, c.isCommand) {
		got = append(got, fmt.Sprintf("%d: %s", cmd.line, cmd.text))
	}
	assert.ElementsMatch(t, []string{
		"4: go run ./01-srv \\\n    -trace",
		"7: python3 - <<'EOF'",
		"17: go test ./01-srv     # a comment",
		"22: export GOFLAGS=-tags=exercise",
		"20: go vet ./01-srv",
		"26: go test -run TestServer ./01-srv",
	}, got)
}

func TestLexShellSplitsLikeTheShell(t *testing.T) {
	lx := lexShell(`A=1 go test -run 'X|Y' ./a 2>&1 | grep -v "a b" && printf '%s\n' "$(date)" >out.txt; f() { sleep 1; } & tail -f x # done`)
	var got [][]string
	for _, ws := range lx.commands {
		var vals []string
		for _, w := range ws {
			vals = append(vals, w.val)
		}
		got = append(got, vals)
	}
	assert.Equal(t, [][]string{
		{"A=1", "go", "test", "-run", "X|Y", "./a"},
		{"grep", "-v", "a b"},
		{"printf", `%s\n`, "$(date)"},
		{"f()", "{", "sleep", "1"},
		{"}"},
		{"tail", "-f", "x"},
	}, got)
	assert.False(t, lx.incomplete)
	assert.True(t, lexShell(`python3 -c '`).incomplete, "an open quote continues on the next line")
	assert.True(t, lexShell(`go run ./x \`).incomplete, "so does a trailing backslash")
	assert.Equal(t, []string{"EOF"}, lexShell(`cat <<'EOF'`).heredocs)
}

func TestFirstElementsSplitsLikeGoTest(t *testing.T) {
	assert.Equal(t, []string{"TestA", "TestB"}, firstElements("TestA/sub|TestB"))
	assert.Equal(t, []string{"Test(A|B)"}, firstElements("Test(A|B)/x"))
	assert.Equal(t, []string{`TestA\|B`}, firstElements(`TestA\|B`))
	assert.Equal(t, []string{"Test[/|]x"}, firstElements("Test[/|]x"))
}
