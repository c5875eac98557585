import json

from click.testing import CliRunner

from bot.cli import main
from bot.engine.moderation.scam_domains import load_domains


def test_import_domains_from_eth_phishing_detect_and_use_them(tmp_path):
    source = tmp_path / "config.json"
    source.write_text(json.dumps({"version": 2, "blacklist": ["Phish.example", "drain.example"]}), "utf-8")
    output = tmp_path / "domains.txt"
    result = CliRunner().invoke(main, ["spam", "import-domains", str(source), "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "2 domains" in result.output
    assert load_domains(output) == {"phish.example", "drain.example"}


def test_a_file_without_domains_is_refused_and_nothing_is_written(tmp_path):
    source = tmp_path / "config.json"
    source.write_text("{not json", "utf-8")
    output = tmp_path / "domains.txt"
    result = CliRunner().invoke(main, ["spam", "import-domains", str(source), "--output", str(output)])
    assert result.exit_code != 0 and "config.json" in result.output
    assert not output.exists()
