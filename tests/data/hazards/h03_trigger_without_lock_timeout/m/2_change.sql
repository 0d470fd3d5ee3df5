-- migrate:up
create trigger trg before insert on t for each row execute function f();
-- migrate:down
