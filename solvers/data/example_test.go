package data_test

import (
	"fmt"

	"github.com/otplay/otplay/solvers/data"
)

func ExampleParse() {
	s, err := data.Parse("gaussian:1000:d=3:seed=1")
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Name, s.N, s.D, len(s.Points))
	d, _ := data.Parse("digits:10:class=7")
	fmt.Println(d.N, d.D, d.Labels)
	_, err = data.Parse("moons:0")
	fmt.Println(err)
	// Output:
	// gaussian 1000 3 3000
	// 10 64 [7 7 7 7 7 7 7 7 7 7]
	// data: bad input: moons: n = 0 outside [1, 4194304]
}
