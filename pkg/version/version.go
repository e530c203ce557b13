// Package version says which Rigger this is. Version is set at link time by the Makefile.
package version

import "runtime/debug"

// Version is Rigger's release, e.g. v0.1.0; "dev" for a build outside the Makefile.
var Version = "dev"

// String is the version with the VCS revision when the build knows it.
func String() string {
	v := Version
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return v
}
