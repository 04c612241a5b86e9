package woodpecker

import (
	"log/slog"
	"net/http"

	"github.com/drone/drone-go/drone"

	"github.com/hangar-ci/hangar/shared/httperr"
	"github.com/hangar-ci/hangar/shared/reqlog"
	"github.com/hangar-ci/hangar/shared/wire"
)

// wpRegistry is a registry as Woodpecker's model.Registry reads it.
type wpRegistry struct {
	Address  string `json:"address"`
	Username string `json:"username"`
	Password string `json:"password"`
}

// registry answers Woodpecker's registry extension (v3.14+) with the
// credentials Hangar's registry service releases to this build.
func (s *service) registry(w http.ResponseWriter, r *http.Request) {
	ctx, _, sub, ok := decode(w, r)
	if !ok {
		return
	}
	status, body, err := s.hangar.call(ctx, kindRegistry, sub)
	if err == nil && status != http.StatusOK {
		err = refused(kindRegistry, status, body)
	}
	var in []drone.Registry
	if err == nil {
		err = decodeAnswer(kindRegistry, body, &in)
	}
	if err != nil {
		httperr.Write(w, r, err)
		return
	}
	out := make([]wpRegistry, 0, len(in))
	addrs := make([]string, 0, len(in))
	for _, g := range in {
		out = append(out, wpRegistry{Address: g.Address, Username: g.Username, Password: g.Password})
		addrs = append(addrs, g.Address)
	}
	reqlog.Annotate(ctx, slog.Any("registries", addrs))
	s.answers.WithLabelValues(kindRegistry, "released").Add(float64(len(addrs)))
	wire.WriteJSON(w, http.StatusOK, struct {
		Registries []wpRegistry `json:"registries"`
	}{out})
}
