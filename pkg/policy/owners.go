package policy

import (
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Owners are the logins an OWNERS file names as approvers or reviewers, aliases expanded.
type Owners struct {
	logins map[string]bool
}

// Has tells whether login is named (case does not matter, as with GitHub logins).
func (o Owners) Has(login string) bool { return o.logins[strings.ToLower(login)] }

type ownersFile struct {
	Approvers []string `yaml:"approvers"`
	Reviewers []string `yaml:"reviewers"`
	Filters   map[string]struct {
		Approvers []string `yaml:"approvers"`
		Reviewers []string `yaml:"reviewers"`
	} `yaml:"filters"`
}

type aliasesFile struct {
	Aliases map[string][]string `yaml:"aliases"`
}

// ParseOwners reads an OWNERS file in the format Prow and Pipelines-as-Code read
// (approvers, reviewers, and the same under filters) and OWNERS_ALIASES (aliases: name ->
// logins), which may be empty.
func ParseOwners(owners, aliases []byte) (Owners, error) {
	var f ownersFile
	if err := yaml.Unmarshal(owners, &f); err != nil {
		return Owners{}, fmt.Errorf("OWNERS: %w", err)
	}
	var a aliasesFile
	if len(aliases) > 0 {
		if err := yaml.Unmarshal(aliases, &a); err != nil {
			return Owners{}, fmt.Errorf("OWNERS_ALIASES: %w", err)
		}
	}
	names := append(f.Approvers, f.Reviewers...)
	for _, filter := range f.Filters {
		names = append(append(names, filter.Approvers...), filter.Reviewers...)
	}
	o := Owners{logins: map[string]bool{}}
	for _, n := range names {
		if members, ok := a.Aliases[n]; ok {
			for _, m := range members {
				o.logins[strings.ToLower(strings.TrimSpace(m))] = true
			}
			continue
		}
		o.logins[strings.ToLower(strings.TrimSpace(n))] = true
	}
	delete(o.logins, "")
	return o, nil
}
