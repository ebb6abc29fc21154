// inc_vec4.wgsl: horizontal max and sum of a vec4.
fn vmax(v: vec4<f32>) -> f32 { return max(max(v.x, v.y), max(v.z, v.w)); }
fn vsum(v: vec4<f32>) -> f32 { return (v.x + v.y) + (v.z + v.w); }
