package chatops

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func names(p Parsed) []string {
	var out []string
	for _, in := range p.Invocations {
		out = append(out, strings.TrimSpace(in.Command.Name+" "+strings.Join(in.Args, " ")))
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, body, prefix string
		want               []string
		unknown            []string
		refused            bool
	}{
		{"one", "/test", "", []string{"test"}, nil, false},
		{"args", "/test unit lint GOFLAGS=-v", "", []string{"test unit lint GOFLAGS=-v"}, nil, false},
		{"anywhere in the comment", "LGTM but flaky.\n\n/retest unit\r\nthanks", "", []string{"retest unit"}, nil, false},
		{"case", "/OK-TO-TEST abc123", "", []string{"ok-to-test abc123"}, nil, false},
		{"several", "/cancel\n/test e2e", "", []string{"cancel", "test e2e"}, nil, false},
		{"quoted reply", "> /test\nno", "", nil, nil, false},
		{"fenced code", "```\n/test\n```\n~~~~\n/retest\n~~~~\n/help", "", []string{"help"}, nil, false},
		{"unclosed fence", "```sh\n/test", "", nil, nil, false},
		{"indented code", "    /test\n\t/test", "", nil, nil, false},
		{"mid-line", "please /test", "", nil, nil, false},
		{"other bots' commands", "/lgtm\n/assign @x", "", nil, nil, false},
		{"prefix", "/rigger test unit\n/test other", "rigger", []string{"test unit"}, nil, false},
		{"prefix unknown", "/rigger frobnicate", "rigger", nil, []string{"frobnicate"}, false},
		{"too many", strings.Repeat("/test\n", MaxCommands+1), "", nil, nil, true},
		{"too long", strings.Repeat("x", MaxCommentBytes+1), "", nil, nil, true},
		{"too many args", "/test" + strings.Repeat(" a", MaxArgs+1), "", nil, nil, true},
		{"thousands of unknown", strings.Repeat("/nope\n", 5000), "", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Parse(tt.body, tt.prefix)
			if got := names(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("commands = %q, want %q", got, tt.want)
			}
			if !reflect.DeepEqual(p.Unknown, tt.unknown) {
				t.Errorf("unknown = %q, want %q", p.Unknown, tt.unknown)
			}
			if (p.Refused != "") != tt.refused {
				t.Errorf("refused = %q, want refused %v", p.Refused, tt.refused)
			}
		})
	}
}

func TestHelpListsEveryCommandOfTheRegistry(t *testing.T) {
	for _, prefix := range []string{"", "rigger"} {
		help := HelpText(prefix)
		for _, c := range Commands {
			usage := "/" + c.Name
			if prefix != "" {
				usage = "/rigger " + c.Name
			}
			if !strings.Contains(help, "`"+usage) {
				t.Errorf("help (prefix %q) does not list %s:\n%s", prefix, usage, help)
			}
			// What /help lists must parse back as that command.
			if p := Parse(usage, prefix); len(p.Invocations) != 1 || p.Invocations[0].Command.Name != c.Name {
				t.Errorf("%q does not parse as %s", usage, c.Name)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"/test", "```\n/test\n```", "> /retest", "/rigger test a=b", "/ok-to-test 0123abc\n/cancel"} {
		f.Add(s, "")
		f.Add(s, "rigger")
	}
	f.Fuzz(func(t *testing.T, body, prefix string) {
		p := Parse(body, prefix)
		if p.Refused != "" && len(p.Invocations) > 0 {
			t.Fatalf("refused comment with commands")
		}
		if len(p.Invocations) > MaxCommands || len(p.Unknown) > MaxCommands {
			t.Fatalf("%d commands, %d unknown", len(p.Invocations), len(p.Unknown))
		}
		for _, in := range p.Invocations {
			if _, ok := Lookup(in.Command.Name); !ok || len(in.Args) > MaxArgs {
				t.Fatalf("bad invocation %+v", in)
			}
		}
	})
}

// The README's list of commands is the registry's, so the two cannot drift apart.
func TestDocsListTheRegistry(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- commands:begin")
	table, _, ok2 := strings.Cut(rest, "<!-- commands:end -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no commands:begin/end markers")
	}
	_, table, _ = strings.Cut(table, "\n")
	if table != Table("") {
		t.Errorf("README.md's commands are not the registry's; put this between the markers:\n%s", Table(""))
	}
}
