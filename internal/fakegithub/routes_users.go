package fakegithub

import (
	"net/http"
	"strings"
)

// SetPermission gives login a permission on repo: admin, maintain, write,
// triage or read ("none" removes it).
func (s *Server) SetPermission(repo, login, permission string) error {
	r := s.Repo(repo)
	if r == nil {
		return errNoRepo(repo)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if permission == "none" || permission == "" {
		delete(s.state[r].permissions, lower(login))
	} else {
		s.state[r].permissions[lower(login)] = permission
	}
	return nil
}

// SetOrgMember makes login a (public) member of org.
func (s *Server) SetOrgMember(org, login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.orgMembers[lower(org)] == nil {
		s.orgMembers[lower(org)] = map[string]bool{}
	}
	s.orgMembers[lower(org)][lower(login)] = true
}

func (s *Server) permission(repo *Repo, login string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.EqualFold(login, repo.Owner) {
		return "admin"
	}
	if p := s.state[repo].permissions[lower(login)]; p != "" {
		return p
	}
	return "none"
}

// association is GitHub's author_association of login on repo.
func (s *Server) association(repo *Repo, login string) string {
	if strings.EqualFold(login, repo.Owner) {
		return "OWNER"
	}
	s.mu.Lock()
	member := s.orgMembers[lower(repo.Owner)][lower(login)]
	s.mu.Unlock()
	if member {
		return "MEMBER"
	}
	if s.permission(repo, login) != "none" {
		return "COLLABORATOR"
	}
	return "NONE"
}

func (s *Server) getPermission(w http.ResponseWriter, r *http.Request) {
	repo, ok := s.withRepo(w, r)
	if !ok {
		return
	}
	login := r.PathValue("user")
	perm := s.permission(repo, login)
	// GitHub folds maintain into write and triage into read here; role_name keeps them.
	legacy := map[string]string{"maintain": "write", "triage": "read"}[perm]
	if legacy == "" {
		legacy = perm
	}
	user := userJSON(s.URL(), login)
	user["permissions"] = map[string]bool{
		"admin": perm == "admin", "maintain": perm == "admin" || perm == "maintain",
		"push": legacy == "admin" || legacy == "write", "triage": perm != "none" && perm != "read",
		"pull": perm != "none",
	}
	writeJSON(w, http.StatusOK, obj{"permission": legacy, "role_name": perm, "user": user})
}

func (s *Server) getOrgMember(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	member := s.orgMembers[lower(r.PathValue("org"))][lower(r.PathValue("user"))]
	s.mu.Unlock()
	if !member {
		writeError(w, http.StatusNotFound, "User does not exist or is not a member of the organization")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// SetTeamMember makes login an active member of the team org/slug.
func (s *Server) SetTeamMember(org, slug, login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := lower(org) + "/" + lower(slug)
	if s.teamMembers[key] == nil {
		s.teamMembers[key] = map[string]bool{}
	}
	s.teamMembers[key][lower(login)] = true
}

func (s *Server) getTeamMembership(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	member := s.teamMembers[lower(r.PathValue("org"))+"/"+lower(r.PathValue("slug"))][lower(r.PathValue("user"))]
	s.mu.Unlock()
	if !member {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, obj{"state": "active", "role": "member",
		"url": s.URL() + "/orgs/" + r.PathValue("org") + "/teams/" + r.PathValue("slug") + "/memberships/" + r.PathValue("user")})
}

// getUser is the authenticated user, as GitHub answers GET /user.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	login, _ := r.Context().Value(ctxLogin).(string)
	if login == "" {
		writeError(w, http.StatusUnauthorized, "Requires authentication")
		return
	}
	writeJSON(w, http.StatusOK, userJSON(s.URL(), login))
}
