# Load for benches/sidekiq_cost.rs: RATE jobs/s on each of the queues busy-1..busy-N
# (SleepJob of 20 ms, through Sidekiq::Client), until stdin closes or DURATION s pass.
#   ruby load.rb N RATE DURATION
require_relative "app"

busy, rate, duration = ARGV[0].to_i, ARGV[1].to_f, ARGV[2].to_f
tick = 0.1
per_tick = rate * tick
started = Time.now
owed = 0.0
$stdout.sync = true
puts "READY"
while Time.now - started < duration
  owed += per_tick
  while owed >= 1
    (1..busy).each { |i| Sidekiq::Client.push("class" => SleepJob, "queue" => "busy-#{i}", "args" => [0.02]) }
    owed -= 1
  end
  sleep tick
end
