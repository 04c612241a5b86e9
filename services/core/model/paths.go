package model

// PathReport is what path filtering decided for a build: how many files
// the build changed, whether that list could be trusted, and the decision
// for every pipeline and for every step a path condition left out. A
// build whose pipelines have no path condition has none.
type PathReport struct {
	BuildID int64 `json:"-"`
	// ChangedFiles counts the changed files (a rename counts both paths).
	ChangedFiles int `json:"changed_files"`
	// Incomplete means the list could not be trusted (a truncated compare,
	// an SCM error, no base to compare with): every path condition matched,
	// so everything ran, and Note says why.
	Incomplete bool `json:"incomplete"`
	// Note says how the list was made, or why it is incomplete.
	Note string `json:"note"`
	// Decisions are per pipeline in file order, each followed by the steps
	// its path conditions skipped.
	Decisions []PathDecision `json:"decisions"`
}

// PathDecision is one pipeline's or step's outcome.
type PathDecision struct {
	Pipeline string `json:"pipeline"`
	Step     string `json:"step,omitempty"`
	Run      bool   `json:"run"`
	// Reason says why a unit is skipped ("skipped: no change under
	// services/api/**", or the trigger condition that failed).
	Reason string `json:"reason,omitempty"`
}
