// Package chatops reads the commands of pull request comments (/test, /retest, /cancel,
// /ok-to-test, /help). The commands describe themselves in one registry, from which both the
// parser and the help text (the /help reply, the docs) are made.
package chatops

import (
	"fmt"
	"strings"
)

// Who may use a command.
type Who string

const (
	Anyone  Who = "anyone"
	Trusted Who = "trusted"
)

// Command is one command of the registry.
type Command struct {
	Name        string
	Args        string // usage of the arguments, "" when it takes none
	Description string
	Who         Who
}

// Names of the commands.
const (
	Test     = "test"
	Retest   = "retest"
	Cancel   = "cancel"
	OkToTest = "ok-to-test"
	Help     = "help"
)

// Commands is the registry, in the order /help lists them.
var Commands = []Command{
	{Test, "[<name>...] [key=value...]", "run every definition that matches this pull request at its head; with names, run those definitions even if their annotations do not match; key=value overrides a param", Trusted},
	{Retest, "[<name>]", "run again the definitions whose latest run on the head commit failed, was cancelled or never started", Trusted},
	{Cancel, "[<name>]", "cancel this pull request's runs that have not finished", Trusted},
	{OkToTest, "[<sha>]", "approve one commit of an outside contributor's pull request for testing: the named one, or the head as it was when you wrote the comment", Trusted},
	{Help, "", "list these commands", Anyone},
}

// Lookup returns the command named name.
func Lookup(name string) (Command, bool) {
	for _, c := range Commands {
		if c.Name == name {
			return c, true
		}
	}
	return Command{}, false
}

// Limits on what one comment may ask. GitHub caps a comment at 65536 characters; a comment
// holding more commands than a person would write is refused whole, so a pasted log cannot
// start a storm of runs.
const (
	MaxCommentBytes = 65536
	MaxCommands     = 10
	MaxArgs         = 32
)

// Invocation is one command line of a comment.
type Invocation struct {
	Command Command
	Args    []string
	Line    int // 1-based line of the comment
}

// Parsed is what a comment asks.
type Parsed struct {
	Invocations []Invocation
	// Unknown are the commands addressed to Rigger (with the prefix) that it does not know.
	Unknown []string
	// Refused says why the whole comment was refused (too long, too many commands); when set,
	// Invocations is empty.
	Refused string
}

// Parse reads the commands of a comment: one per line, anywhere in the comment, each line
// starting with /<command> (or /<prefix> <command> when prefix is set). Lines inside fenced
// code blocks, indented code and quoted replies ("> /test") are not commands. Without a
// prefix, a slash word that is no command of the registry is not addressed to Rigger (it may
// be another bot's) and is ignored.
func Parse(body, prefix string) Parsed {
	if len(body) > MaxCommentBytes {
		return Parsed{Refused: fmt.Sprintf("the comment is longer than %d bytes", MaxCommentBytes)}
	}
	var p Parsed
	fence := ""
	for n, line := range strings.Split(body, "\n") {
		line = strings.TrimRight(line, "\r")
		trimmed := strings.TrimLeft(line, " ")
		if f := fenceOf(trimmed); f != "" && len(line)-len(trimmed) <= 3 {
			switch {
			case fence == "":
				fence = f
			case strings.HasPrefix(trimmed, fence) && strings.TrimSpace(strings.TrimLeft(trimmed, fence[:1])) == "":
				fence = ""
			}
			continue
		}
		if fence != "" || strings.HasPrefix(line, "\t") || len(line)-len(trimmed) >= 4 || strings.HasPrefix(trimmed, ">") {
			continue
		}
		fields := strings.Fields(trimmed)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], "/") {
			continue
		}
		name := strings.ToLower(strings.TrimPrefix(fields[0], "/"))
		args := fields[1:]
		if prefix != "" {
			if name != strings.ToLower(prefix) {
				continue
			}
			if len(args) == 0 {
				p.Unknown = append(p.Unknown, "")
				continue
			}
			name, args = strings.ToLower(args[0]), args[1:]
		}
		cmd, ok := Lookup(name)
		if !ok {
			if prefix != "" && len(p.Unknown) < MaxCommands {
				p.Unknown = append(p.Unknown, name)
			}
			continue
		}
		if len(p.Invocations) == MaxCommands {
			return Parsed{Refused: fmt.Sprintf("the comment holds more than %d commands", MaxCommands)}
		}
		if len(args) > MaxArgs {
			return Parsed{Refused: fmt.Sprintf("/%s has more than %d arguments", name, MaxArgs)}
		}
		p.Invocations = append(p.Invocations, Invocation{Command: cmd, Args: args, Line: n + 1})
	}
	return p
}

// fenceOf returns the fence a line opens or closes (``` or ~~~, three or more), or "".
func fenceOf(line string) string {
	for _, c := range []string{"`", "~"} {
		n := len(line) - len(strings.TrimLeft(line, c))
		if n >= 3 {
			return strings.Repeat(c, n)
		}
	}
	return ""
}

// HelpText is the /help reply: every command of the registry, and how trust works.
func HelpText(prefix string) string {
	return "Commands Rigger answers in a pull request comment, one per line:\n\n" + Table(prefix) +
		"\nA pull request from someone outside the project runs nothing until a member approves its head commit with `/ok-to-test`; each new push needs a new approval.\n"
}

// Table is the registry as a Markdown table, for /help and the docs.
func Table(prefix string) string {
	var b strings.Builder
	b.WriteString("| command | what it does | who |\n|---|---|---|\n")
	for _, c := range Commands {
		usage := "/" + c.Name
		if prefix != "" {
			usage = "/" + prefix + " " + c.Name
		}
		if c.Args != "" {
			usage += " " + c.Args
		}
		who := "anyone"
		if c.Who == Trusted {
			who = "members, collaborators with write access, OWNERS"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", usage, c.Description, who)
	}
	return b.String()
}
