// Shared Jsonnet helpers:  local drone = import 'drone.libsonnet';
{
  step(name, image, commands):: { name: name, image: image, commands: commands },
  pipeline(name, steps, trigger={}):: {
    kind: 'pipeline',
    type: 'docker',
    name: name,
    steps: steps,
  } + (if trigger == {} then {} else { trigger: trigger }),
}
