# The Sidekiq app the tests run (`sidekiq -r ./app.rb`) and enqueue into (client.rb).
# Redis comes from REDIS_URL; SIDEKIQ_NAMESPACE wraps the client in redis-namespace
# (a 6.x feature). Jobs record what they did under `qtop-test:` keys in the same Redis.
require "sidekiq"
Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)

redis = {url: ENV.fetch("REDIS_URL")}
if (ns = ENV["SIDEKIQ_NAMESPACE"]) && !ns.empty?
  require "redis-namespace"
  redis[:namespace] = ns
end
Sidekiq.configure_server { |config| config.redis = redis }
Sidekiq.configure_client { |config| config.redis = redis }

# Never touched by the namespace: the tests read these with their own client.
def note(key, value = "1")
  Redis.new(url: ENV.fetch("REDIS_URL")).set("qtop-test:#{key}", value)
end

# Sleeps `seconds` (default 0), then records its run.
class SleepJob
  include Sidekiq::Worker
  def perform(seconds = 0, tag = nil)
    sleep(seconds.to_f)
    note("ran:#{tag}") if tag
  end
end

# Fails until `qtop-test:allow:<tag>` exists, then records its run. No retries: the first
# failure goes straight to the dead set, with its backtrace.
class DeadJob
  include Sidekiq::Worker
  sidekiq_options retry: 0, backtrace: true
  def perform(tag)
    allowed = Redis.new(url: ENV.fetch("REDIS_URL")).get("qtop-test:allow:#{tag}")
    raise ArgumentError, "card declined for order #{tag}" unless allowed
    note("ran:#{tag}")
  end
end

# Always fails, with retries: lands in the retry set (far in the future, so it stays).
class RetryJob
  include Sidekiq::Worker
  sidekiq_options retry: 5
  sidekiq_retry_in { |_count, _exception| 3600 }
  def perform(tag)
    raise "retry me #{tag}"
  end
end
