package local

import (
	"os"
	"strings"
)

// cleanEnvNames are the host variables a step starts with under `rigger serve`: what a
// program needs to find its tools, its home and its language, as a container image's
// environment would give it. Nothing else of the host's reaches a step, least of all Rigger's
// own configuration (RIGGER_WEBHOOK_SECRET, RIGGER_GITHUB_TOKEN, ...).
var cleanEnvNames = []string{"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM"}

// CleanEnv is the environment steps start from unless Config.Env says otherwise: the host's
// PATH, HOME, user, shell, locale (LANG, LC_*), time zone and temporary directory.
func CleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "LC_") || contains(cleanEnvNames, name) {
			out = append(out, kv)
		}
	}
	return out
}

// UserEnv is the environment of the user's own shell without Rigger's variables, for
// `rigger run`: a developer running their checkout's pipelines gets the tools and settings
// they would have running the steps by hand.
func UserEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RIGGER_") {
			out = append(out, kv)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
