# What the tests ask of Sidekiq's own API, on the app's Redis (see app.rb):
#   ruby client.rb push CLASS QUEUE COUNT [ARGS_JSON] [IN_SECONDS]   # Sidekiq::Client
#   ruby client.rb inspect     # figures of Queue, the job sets, ProcessSet, WorkSet, Stats
# Prints JSON. Reads never run ProcessSet's cleanup (it writes).
require_relative "app"
require "json"

case ARGV[0]
when "push"
  klass, queue, count = ARGV[1], ARGV[2], ARGV[3].to_i
  args = ARGV[4] ? JSON.parse(ARGV[4]) : []
  at = ARGV[5] ? Time.now.to_f + ARGV[5].to_f : nil
  jids = count.times.map do |i|
    item = {"class" => Object.const_get(klass), "queue" => queue, "args" => args.map { |a| a == "$i" ? i.to_s : a }}
    item["at"] = at if at
    Sidekiq::Client.push(item)
  end
  puts JSON.generate(jids)
when "inspect"
  require "sidekiq/api"
  per_queue = ->(set) { set.each_with_object(Hash.new(0)) { |job, h| h[job.queue] += 1 } }
  queues = Sidekiq::Queue.all.to_h { |q| [q.name, {"size" => q.size, "latency" => q.latency}] }
  busy = Hash.new(0)
  Sidekiq::Workers.new.each { |_process, _thread, work| busy[work["queue"]] += 1 }
  processes = Sidekiq::ProcessSet.new(false).map do |p|
    {"identity" => p.identity, "hostname" => p["hostname"], "pid" => p["pid"],
     "queues" => p["queues"], "concurrency" => p["concurrency"], "busy" => p["busy"],
     "quiet" => p["quiet"], "rss" => p["rss"], "beat" => p["beat"]}
  end
  stats = Sidekiq::Stats.new
  puts JSON.generate(
    "queues" => queues,
    "scheduled" => per_queue.call(Sidekiq::ScheduledSet.new),
    "retry" => per_queue.call(Sidekiq::RetrySet.new),
    "dead" => per_queue.call(Sidekiq::DeadSet.new),
    "busy" => busy,
    "processes" => processes,
    "processed" => stats.processed,
    "failed" => stats.failed,
    "now" => Time.now.to_f
  )
else
  abort "usage: client.rb push|inspect"
end
