package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
)

// SubjectOut is one catalog subject as `subjects --json` prints it.
type SubjectOut struct {
	Endpoint       string   `json:"endpoint"`
	Subject        string   `json:"subject"`
	Shape          string   `json:"shape"`
	RequiredFields []string `json:"requiredFields"`
}

func newSubjectsCmd(io IO) *cobra.Command {
	var catalogFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "subjects",
		Short: "List the notification subjects: endpoint, subject and the body's required fields (no server needed)",
		Long: "Lists the subject catalog a server started with the same --catalog-file would use:\n" +
			"each subject's endpoint (whose subscribers receive it) and the members its body must have.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cat := catalog.Default()
			if catalogFile != "" {
				var err error
				if cat, err = catalog.LoadFile(catalogFile, cat); err != nil {
					return err
				}
			}
			out := subjectsOut(cat)
			if asJSON {
				return printJSON(io.Stdout, out)
			}
			tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ENDPOINT\tSUBJECT\tREQUIRED FIELDS")
			for _, s := range out {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Endpoint, s.Subject, strings.Join(s.RequiredFields, ", "))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&catalogFile, "catalog-file", "", "JSON file of extra notification subjects, as serve takes (see docs/catalog.md)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of text")
	bindFlagsToEnv(cmd, io)
	return cmd
}

// subjectsOut lists the catalog's subjects in catalog order.
func subjectsOut(cat *catalog.Catalog) []SubjectOut {
	subjects := cat.Subjects()
	out := make([]SubjectOut, 0, len(subjects))
	for _, s := range subjects {
		out = append(out, SubjectOut{Endpoint: s.Endpoint.Name(), Subject: s.Name, Shape: s.Shape.String(),
			RequiredFields: s.RequiredFields()})
	}
	return out
}
