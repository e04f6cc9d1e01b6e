# Sidekiq's own API read the way a dashboard would each second, for benches/sidekiq_cost.rs:
# Sidekiq::Stats, Queue#size and #latency of every queue, ProcessSet. Prints READY, runs
# until stdin closes.
require_relative "app"
require "sidekiq/api"

$stdout.sync = true
puts "READY"
Thread.new { $stdin.read; exit 0 }
loop do
  started = Time.now
  stats = Sidekiq::Stats.new
  [stats.processed, stats.failed, stats.scheduled_size, stats.retry_size, stats.dead_size]
  Sidekiq::Queue.all.each { |q| [q.size, q.latency] }
  Sidekiq::ProcessSet.new.to_a
  sleep [1.0 - (Time.now - started), 0].max
end
