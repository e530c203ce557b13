package webhook

import (
	"encoding/json"
	"net/http"
)

// reply is the JSON body of every answer: GitHub shows it in the delivery log, so it says
// in a few words what happened.
type reply struct {
	Status   string `json:"status,omitempty"`
	Delivery string `json:"delivery,omitempty"`
	Error    string `json:"error,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, body reply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}
