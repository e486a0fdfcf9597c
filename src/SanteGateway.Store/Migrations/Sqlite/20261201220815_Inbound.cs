using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Inbound : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "inbound_items",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    PartnerId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Channel = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    ContentType = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Raw = table.Column<byte[]>(type: "BLOB", nullable: false),
                    ReceivedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Format = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    MessageId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    PartnerPatientId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    State = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Decision = table.Column<string>(type: "TEXT", maxLength: 8, nullable: true),
                    Rule = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    IdentityId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Received = table.Column<string>(type: "TEXT", nullable: true),
                    Candidates = table.Column<string>(type: "TEXT", nullable: true),
                    DecidedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_inbound_items", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "inbound_partners",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    AssigningAuthority = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    AuthorityAliases = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    Transport = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    VerifyInsWithInsi = table.Column<bool>(type: "INTEGER", nullable: false),
                    AllowCreate = table.Column<bool>(type: "INTEGER", nullable: false),
                    QualifiedCode = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_inbound_partners", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "inbound_actions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    ItemId = table.Column<Guid>(type: "TEXT", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    Actor = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Action = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Decision = table.Column<string>(type: "TEXT", maxLength: 8, nullable: true),
                    Rule = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Detail = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    IdentityId = table.Column<Guid>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_inbound_actions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_inbound_actions_inbound_items_ItemId",
                        column: x => x.ItemId,
                        principalTable: "inbound_items",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_inbound_actions_ItemId_At",
                table: "inbound_actions",
                columns: new[] { "ItemId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_inbound_items_IdentityId",
                table: "inbound_items",
                column: "IdentityId");

            migrationBuilder.CreateIndex(
                name: "IX_inbound_items_PartnerId_Decision",
                table: "inbound_items",
                columns: new[] { "PartnerId", "Decision" });

            migrationBuilder.CreateIndex(
                name: "IX_inbound_items_State_ReceivedAt",
                table: "inbound_items",
                columns: new[] { "State", "ReceivedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "inbound_actions");

            migrationBuilder.DropTable(
                name: "inbound_partners");

            migrationBuilder.DropTable(
                name: "inbound_items");
        }
    }
}
