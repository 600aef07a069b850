/// The Lua scripts a region node runs in Redis, each atomic there.
enum RegionScripts {
  /// Deletes the session key and the device's `user_devices` entry only if
  /// the key still names this session (the device may have moved on).
  static let unregister = """
    if redis.call('HGET', KEYS[1], 'session') == ARGV[1] then
      redis.call('DEL', KEYS[1])
      redis.call('SREM', KEYS[2], ARGV[2])
      return 1
    end
    return 0
    """

  /// Marks the user offline (and records last-seen) unless a device of theirs
  /// still has a session key; prunes devices whose keys expired.
  static let offline = """
    local online = 0
    for _, d in ipairs(redis.call('SMEMBERS', KEYS[1])) do
      if redis.call('EXISTS', ARGV[1] .. d) == 1 then online = 1 else redis.call('SREM', KEYS[1], d) end
    end
    if online == 1 then return 0 end
    redis.call('DEL', KEYS[2])
    redis.call('SET', KEYS[3], ARGV[2])
    return 1
    """
}
