package catalog

// nearest returns the subject whose folded name is fewest edits from key,
// if that is a plausible typo: at most 1 edit for names under 8
// characters, 2 otherwise; ties go to the first in catalog order.
func (c *Catalog) nearest(key string) string {
	limit := 1
	if len(key) >= 8 {
		limit = 2
	}
	if len(key) > maxEcho {
		return ""
	}
	best, bestDist := "", limit+1
	for _, s := range c.list {
		if d := editDistance(key, fold(s.Name)); d < bestDist {
			best, bestDist = s.Name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
